import assert from 'node:assert/strict';
import { test } from 'node:test';
import { memberOf } from '../../../src/plan/member-of.js';
import { LabError } from '../../../src/errors.js';

const plan = { members: [{ name: 'm1', clientURL: 'http://127.0.0.1:2379' }, { name: 'm2', clientURL: 'http://127.0.0.1:22379' }] };

test('memberOf finds a member by name', () => {
  assert.equal(memberOf(plan, 'm2').clientURL, 'http://127.0.0.1:22379');
});

test('memberOf: an unknown name is UNKNOWN_MEMBER, with the members in the hint', () => {
  assert.throws(
    () => memberOf(plan, 'm9'),
    (e: unknown) => e instanceof LabError && e.code === 'UNKNOWN_MEMBER' && e.message === 'no member "m9"' && e.hint === 'members: m1, m2',
  );
});

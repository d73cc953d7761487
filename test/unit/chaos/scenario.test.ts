import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../../src/chaos/scenario.js';
import { LabError } from '../../../src/errors.js';

function error(text: string): LabError {
  try {
    parseScenario(text, 's.yaml');
  } catch (e) {
    assert.ok(e instanceof LabError, String(e));
    assert.equal(e.code, 'BAD_CONFIG');
    assert.equal(e.exitCode, 2);
    return e;
  }
  assert.fail('expected an error');
}

const lines = (...l: string[]): string => l.join('\n');

test('the example scenarios parse', () => {
  for (const name of ['failover', 'partition']) {
    const file = new URL(`../../../examples/${name}.yaml`, import.meta.url);
    const s = parseScenario(readFileSync(file, 'utf8'), `${name}.yaml`);
    assert.equal(s.name, name);
    assert.ok(s.steps.length > 5);
  }
  const p = parseScenario(readFileSync(new URL('../../../examples/partition.yaml', import.meta.url), 'utf8'), 'partition.yaml');
  assert.equal(p.members, 5);
  assert.equal(p.requestTimeoutMs, 1500);
  const part = p.steps.find((s) => s.kind === 'partition');
  assert.deepEqual(part && part.kind === 'partition' ? part.groups : null, [['leader', 'follower'], ['rest']]);
});

test('steps, defaults and remembered names', () => {
  const s = parseScenario(
    lines(
      'name: mine',
      'members: 5',
      'steps:',
      '  - wait-leader',
      '  - kill: leader',
      '    as: old_leader',
      '  - wait-leader: { not: old_leader, within: 2s, as: new_leader }',
      '  - put: { key: /a, value: 1, via: $new_leader }',
      '  - put: { key: /b, value: x, via: minority, expect: fail, timeout: 1s }',
      '  - get: { key: /a, via: majority, expect: "1" }',
      '  - get: { key: /a, via: m2, linearizable: false, expect: fail }',
      '  - get: { key: /gone, expect: absent }',
      '  - partition: ["m1,$old_leader", [rest]]',
      '  - delay: { target: m1, delay: 200ms, jitter: 20ms }',
      '  - delay: { link: m1->m2, delay: 1s }',
      '  - cut: m1->$new_leader',
      '  - kill: { target: follower, signal: TERM }',
      '  - heal',
      '  - restart: $old_leader',
      '  - expect-follower: old_leader',
      '  - sleep: 100ms',
      '  - note: hello',
      '  - converge',
      '  - converge: { within: 3s }',
      '    claim: all equal',
    ),
    'mine.yaml',
  );
  assert.equal(s.name, 'mine');
  assert.equal(s.members, 5);
  assert.equal(s.requestTimeoutMs, 2000);
  const k = s.steps.map((x) => x.kind);
  assert.deepEqual(k, [
    'wait-leader', 'kill', 'wait-leader', 'put', 'put', 'get', 'get', 'get', 'partition', 'delay', 'delay', 'cut', 'kill',
    'heal', 'restart', 'expect-follower', 'sleep', 'note', 'converge', 'converge',
  ]);
  assert.deepEqual(s.steps[0], { kind: 'wait-leader', withinMs: 5000, where: 'mine.yaml:4:5' });
  assert.deepEqual(s.steps[1], { kind: 'kill', target: 'leader', signal: 'SIGKILL', as: 'old_leader', where: 'mine.yaml:5:5' });
  assert.deepEqual(s.steps[2], { kind: 'wait-leader', withinMs: 2000, not: '$old_leader', as: 'new_leader', where: 'mine.yaml:7:5' });
  assert.deepEqual(s.steps[3], { kind: 'put', key: '/a', value: '1', via: '$new_leader', expect: 'ok', where: 'mine.yaml:8:5' });
  assert.deepEqual(s.steps[4], { kind: 'put', key: '/b', value: 'x', via: 'minority', expect: 'fail', timeoutMs: 1000, where: 'mine.yaml:9:5' });
  assert.deepEqual(s.steps[5], { kind: 'get', key: '/a', via: 'majority', linearizable: true, expect: 'ok', value: '1', where: 'mine.yaml:10:5' });
  assert.deepEqual(s.steps[6], { kind: 'get', key: '/a', via: 'm2', linearizable: false, expect: 'fail', where: 'mine.yaml:11:5' });
  assert.deepEqual(s.steps[7], { kind: 'get', key: '/gone', via: 'leader', linearizable: true, expect: 'ok', value: null, where: 'mine.yaml:12:5' });
  assert.deepEqual(s.steps[8], { kind: 'partition', groups: [['m1', '$old_leader'], ['rest']], where: 'mine.yaml:13:5' });
  assert.deepEqual(s.steps[9], { kind: 'delay', target: 'm1', delayMs: 200, jitterMs: 20, where: 'mine.yaml:14:5' });
  assert.deepEqual(s.steps[10], { kind: 'delay', target: { from: 'm1', to: 'm2' }, delayMs: 1000, jitterMs: 0, where: 'mine.yaml:15:5' });
  assert.deepEqual(s.steps[11], { kind: 'cut', from: 'm1', to: '$new_leader', where: 'mine.yaml:16:5' });
  assert.deepEqual(s.steps[12], { kind: 'kill', target: 'follower', signal: 'SIGTERM', where: 'mine.yaml:17:5' });
  assert.deepEqual(s.steps[15], { kind: 'expect-follower', member: '$old_leader', withinMs: 5000, where: 'mine.yaml:20:5' });
  assert.deepEqual(s.steps[16], { kind: 'sleep', ms: 100, where: 'mine.yaml:21:5' });
  assert.deepEqual(s.steps[19], { kind: 'converge', withinMs: 3000, claim: 'all equal', where: 'mine.yaml:24:5' });
});

test('errors point at file:line:col and say how to fix it', () => {
  let e = error(lines('name: x', 'steps:', '  - kil: leader'));
  assert.match(e.message, /^s\.yaml:3:5: unknown step "kil" \(did you mean "kill"\?\)/);
  e = error(lines('steps:', '  - wait-leader: { not: $old, within: 5s }'));
  assert.match(e.message, /^s\.yaml:2:25: wait-leader\.not uses \$old, which no earlier step remembered/);
  assert.match(e.hint ?? '', /as: old/);
  e = error(lines('steps:', '  - put: { key: /a, value: 1, expect: maybe }'));
  assert.match(e.message, /^s\.yaml:2:39: put\.expect must be ok or fail, got "maybe"/);
  e = error(lines('steps:', '  - put: { key: /a }'));
  assert.match(e.message, /^s\.yaml:2:10: put needs "value"/);
  e = error(lines('steps:', '  - sleep: 5'));
  assert.match(e.message, /^s\.yaml:2:12: sleep "5" has no unit/);
  e = error(lines('steps:', '  - wait-leader: { within: soon }'));
  assert.match(e.message, /^s\.yaml:2:28: /);
  e = error(lines('steps:', '  - kill: leader', '    heal: true'));
  assert.match(e.message, /^s\.yaml:3:5: one step per list item/);
  e = error(lines('steps:', '  - heal:', '    as: x'));
  assert.match(e.message, /^s\.yaml:3:9: "as" remembers the member a step acted on; heal acts on none/);
  e = error(lines('steps:', '  - partition: [[m1]]'));
  assert.match(e.message, /^s\.yaml:2:16: partition takes a list of at least 2 groups/);
  e = error(lines('steps:', '  - partition: [[rest], [rest]]'));
  assert.match(e.message, /"rest" may appear only once/);
  e = error(lines('steps:', '  - kill: leader', '    as: leader'));
  assert.match(e.message, /^s\.yaml:3:9: as: "leader" is taken/);
  e = error(lines('stepz:', '  - heal'));
  assert.match(e.message, /^s\.yaml:1:1: unknown key "stepz" \(did you mean "steps"\?\)/);
  e = error('name: x');
  assert.match(e.message, /the scenario has no steps/);
  e = error(lines('members: three', 'steps: [heal]'));
  assert.match(e.message, /^s\.yaml:1:10: members must be a whole number/);
  e = error(lines('steps:', '  - get: { key: /a, expect: fail, value: x }'));
  assert.match(e.message, /get\.value makes no sense with expect: fail/);
  e = error(lines('steps:', '  - delay: { delay: 1s }'));
  assert.match(e.message, /delay needs either "target"/);
  e = error(lines('steps:', '  - cut: m1'));
  assert.match(e.message, /^s\.yaml:2:10: cut "m1" is not a link/);
  e = error(lines('steps:', '  - kill: { target: m1, signal: STOP }'));
  assert.match(e.message, /kill\.signal must be KILL or TERM/);
  e = error('steps: [\n');
  assert.match(e.message, /^s\.yaml:\d+:\d+: /);
});

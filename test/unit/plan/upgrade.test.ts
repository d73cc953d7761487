import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { LabError } from '../../../src/errors.js';
import {
  checkClusterSpan,
  checkUpgradeStep,
  expectedClusterVersion,
  nextToUpgrade,
  upgradedArgs,
  upgradeOrder,
  upgradeWarnings,
} from '../../../src/plan/upgrade.js';
import type { EtcdVersion } from '../../../src/plan/types.js';

function v(text: string): EtcdVersion {
  const [major, minor, patch] = text.split('-')[0]!.split('.').map(Number);
  return { major: major!, minor: minor!, patch: patch!, text };
}

function refusal(fn: () => unknown): LabError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LabError, String(e));
    return e;
  }
  assert.fail('expected a refusal');
}

describe('upgrade order', () => {
  test('followers in their order, the leader last', () => {
    assert.deepEqual(upgradeOrder(['m1', 'm2', 'm3'], 'm1'), ['m2', 'm3', 'm1']);
    assert.deepEqual(upgradeOrder(['m1', 'm2', 'm3'], 'm2'), ['m1', 'm3', 'm2']);
    assert.deepEqual(upgradeOrder(['m1', 'm2', 'm3', 'm4', 'm5'], 'm3'), ['m1', 'm2', 'm4', 'm5', 'm3']);
  });

  test('no leader known, or the leader not among them: the given order', () => {
    assert.deepEqual(upgradeOrder(['m1', 'm2', 'm3'], null), ['m1', 'm2', 'm3']);
    assert.deepEqual(upgradeOrder(['m2', 'm3'], 'm1'), ['m2', 'm3']);
  });

  test('the next one follows a leader that moved meanwhile', () => {
    assert.equal(nextToUpgrade(['m2', 'm3'], 'm2'), 'm3');
    assert.equal(nextToUpgrade(['m3'], 'm3'), 'm3');
    assert.equal(nextToUpgrade([], 'm1'), undefined);
  });
});

describe('upgrade steps etcd supports', () => {
  test('a patch and a one-minor upgrade pass; the same version is left alone', () => {
    assert.equal(checkUpgradeStep('m1', v('3.5.20'), v('3.5.30')), 'upgrade');
    assert.equal(checkUpgradeStep('m1', v('3.4.23'), v('3.5.30')), 'upgrade');
    assert.equal(checkUpgradeStep('m1', v('3.5.30'), v('3.6.14')), 'upgrade');
    assert.equal(checkUpgradeStep('m1', v('3.6.14'), v('3.6.14')), 'same');
  });

  test('a minor downgrade from 3.6 is refused, pointing at etcdctl downgrade', () => {
    const e = refusal(() => checkUpgradeStep('m2', v('3.6.14'), v('3.5.30')));
    assert.equal(e.code, 'BAD_VERSION');
    assert.equal(e.exitCode, 2);
    assert.match(e.message, /^cannot downgrade m2 from etcd 3\.6\.14 to 3\.5\.30/);
    assert.match(e.hint ?? '', /etcdctl downgrade validate 3\.5`.*etcdctl downgrade enable 3\.5/);
  });

  test('a downgrade from 3.5 says there is no supported procedure; a patch downgrade says how to run that patch', () => {
    assert.match(refusal(() => checkUpgradeStep('m1', v('3.5.30'), v('3.4.23'))).hint ?? '', /no supported downgrade/);
    const patch = refusal(() => checkUpgradeStep('m1', v('3.5.30'), v('3.5.20')));
    assert.match(patch.message, /cannot downgrade m1 from etcd 3\.5\.30 to 3\.5\.20/);
    assert.match(patch.hint ?? '', /up --fresh/);
  });

  test('skipping a minor version is refused, naming the version to go through', () => {
    const e = refusal(() => checkUpgradeStep('m3', v('3.4.23'), v('3.6.14')));
    assert.equal(e.code, 'BAD_VERSION');
    assert.match(e.message, /^cannot upgrade m3 from etcd 3\.4\.23 to 3\.6\.14: that skips 3\.5$/);
    assert.match(e.hint ?? '', /one minor version at a time: upgrade every member to 3\.5 first/);
  });

  test('another major version is refused', () => {
    assert.match(refusal(() => checkUpgradeStep('m1', v('3.6.14'), v('4.0.0'))).message, /within major version 3 only/);
  });

  test('members left alone may be at most one minor version behind the new binary', () => {
    checkClusterSpan([{ name: 'm2', version: v('3.5.30') }], v('3.6.14'));
    const e = refusal(() => checkClusterSpan([{ name: 'm2', version: v('3.5.30') }, { name: 'm3', version: v('3.4.23') }], v('3.6.14')));
    assert.match(e.message, /where m3 runs 3\.4\.23: that skips 3\.5$/);
  });

  test('the cluster version is the lowest minor version, patch 0', () => {
    assert.equal(expectedClusterVersion([v('3.6.14'), v('3.5.30'), v('3.6.14')]), '3.5.0');
    assert.equal(expectedClusterVersion([v('3.6.14')]), '3.6.0');
  });

  test('3.5 before 3.5.26 going to 3.6 is warned about, not refused', () => {
    assert.equal(upgradeWarnings(v('3.5.20'), v('3.6.14')).length, 1);
    assert.deepEqual(upgradeWarnings(v('3.5.30'), v('3.6.14')), []);
    assert.deepEqual(upgradeWarnings(v('3.4.23'), v('3.5.30')), []);
  });
});

describe('per-member arguments on the new version', () => {
  const base = ['--name', 'm1', '--data-dir', 'd', '--heartbeat-interval', '10'];

  test('3.4 -> 3.5: the zap and pre-vote flags 3.4 needs go, the rest stays in place', () => {
    const from = [...base, '--logger=zap', '--log-outputs=stderr', '--pre-vote', '--snapshot-count', '5'];
    assert.deepEqual(upgradedArgs(from, v('3.4.23'), v('3.5.30')), [...base, '--snapshot-count', '5']);
  });

  test('3.5 -> 3.6 changes nothing; 3.5 -> 3.4 (a plan built for 3.5) would add the 3.4 flags', () => {
    assert.deepEqual(upgradedArgs(base, v('3.5.30'), v('3.6.14')), base);
    assert.deepEqual(upgradedArgs(base, v('3.5.30'), v('3.4.23')), [...base, '--logger=zap', '--log-outputs=stderr', '--pre-vote']);
  });

  test('a flag the user also gave is not doubled', () => {
    assert.deepEqual(upgradedArgs([...base, '--pre-vote'], v('3.5.30'), v('3.4.23')), [...base, '--pre-vote', '--logger=zap', '--log-outputs=stderr']);
  });
});

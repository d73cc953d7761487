import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LabError } from '../../../src/errors.js';
import {
  assertSupported,
  compareVersions,
  etcdTooOld,
  isSupported,
  MIN_SUPPORTED,
  parseEtcdVersionOutput,
  parseVersionArg,
} from '../../../src/etcd/version.js';

const v = (text: string) => parseEtcdVersionOutput(`etcd Version: ${text}\n`);

test('parses etcd 3.4 --version output', () => {
  const out = 'etcd Version: 3.4.23\nGit SHA: Not provided (use ./build instead of go build)\nGo Version: go1.19.8\nGo OS/Arch: linux/amd64\n';
  assert.deepEqual(parseEtcdVersionOutput(out), { major: 3, minor: 4, patch: 23, text: '3.4.23' });
});

test('parses 3.5 and 3.6 output, pre-releases and CRLF', () => {
  assert.deepEqual(parseEtcdVersionOutput('etcd Version: 3.5.21\nGit SHA: a17edfd\nGo Version: go1.23.7\nGo OS/Arch: linux/amd64\n'), {
    major: 3, minor: 5, patch: 21, text: '3.5.21',
  });
  assert.deepEqual(parseEtcdVersionOutput('etcd Version: 3.6.0-rc.4\r\nGit SHA: x\r\n'), {
    major: 3, minor: 6, patch: 0, text: '3.6.0-rc.4',
  });
  // A warning printed before the version line does not hide it.
  assert.equal(parseEtcdVersionOutput('[WARNING] Deprecated something\netcd Version: 3.5.30\n').text, '3.5.30');
});

test('anything that is not etcd --version is NOT_ETCD and quotes what was printed', () => {
  for (const out of ['hello world', 'etcdctl version: 3.4.23\nAPI version: 3.4\n', '', 'etcd Version: banana']) {
    assert.throws(
      () => parseEtcdVersionOutput(out, '/opt/x/etcd'),
      (e: unknown) => e instanceof LabError && e.code === 'NOT_ETCD' && e.message.includes('/opt/x/etcd'),
      JSON.stringify(out),
    );
  }
  assert.throws(() => parseEtcdVersionOutput('hello world'), /printed "hello world"/);
  assert.throws(() => parseEtcdVersionOutput('  \n'), /printed nothing/);
});

test('parseVersionArg accepts 3.5, 3.5.30 and v3.5.30', () => {
  assert.deepEqual(parseVersionArg('3.5'), { major: 3, minor: 5, patch: 0, text: '3.5', exact: false });
  assert.deepEqual(parseVersionArg('3.5.30'), { major: 3, minor: 5, patch: 30, text: '3.5.30', exact: true });
  assert.deepEqual(parseVersionArg(' v3.5.30 '), { major: 3, minor: 5, patch: 30, text: '3.5.30', exact: true });
  assert.equal(parseVersionArg('3.4').minor, 4);
  assert.equal(parseVersionArg('4.0.1').major, 4);
});

test('parseVersionArg refuses garbage and versions below 3.4 with BAD_VERSION', () => {
  for (const bad of ['', '3', 'latest', '3.5.x', '3.5.30.1', 'v', '3.3', '3.3.25', '2.3.8']) {
    assert.throws(() => parseVersionArg(bad), (e: unknown) => e instanceof LabError && e.code === 'BAD_VERSION', bad);
  }
});

test('compareVersions orders numerically, pre-release before release', () => {
  assert.equal(compareVersions(v('3.4.23'), v('3.5.0')), -1);
  assert.equal(compareVersions(v('3.5.10'), v('3.5.9')), 1);
  assert.equal(compareVersions(v('3.5.21'), v('3.5.21')), 0);
  assert.equal(compareVersions(v('4.0.0'), v('3.99.99')), 1);
  assert.equal(compareVersions(v('3.6.0-rc.1'), v('3.6.0')), -1);
  assert.equal(compareVersions(v('3.6.0'), v('3.6.0-rc.1')), 1);
  const sorted = ['3.6.0', '3.4.23', '3.5.9', '3.5.10', '3.6.0-alpha.0'].map(v).sort(compareVersions).map((x) => x.text);
  assert.deepEqual(sorted, ['3.4.23', '3.5.9', '3.5.10', '3.6.0-alpha.0', '3.6.0']);
});

test('support floor is 3.4.0 and ETCD_TOO_OLD names the binary and both versions', () => {
  assert.equal(MIN_SUPPORTED.text, '3.4.0');
  assert.equal(isSupported(v('3.4.0')), true);
  assert.equal(isSupported(v('3.3.25')), false);
  assert.doesNotThrow(() => assertSupported(v('3.5.21'), 'x'));
  assert.throws(
    () => assertSupported(v('3.3.0'), '/usr/bin/etcd'),
    (e: unknown) =>
      e instanceof LabError && e.code === 'ETCD_TOO_OLD' && /\/usr\/bin\/etcd is etcd 3\.3\.0.*3\.4\.0/.test(e.message) && !!e.hint,
  );
  assert.equal(etcdTooOld(v('3.2.26'), 'a').code, 'ETCD_TOO_OLD');
});

test('versionMatches: MAJOR.MINOR takes any patch of it, MAJOR.MINOR.PATCH only that one', async () => {
  const { versionMatches } = await import('../../../src/etcd/binary.js');
  const v = { major: 3, minor: 6, patch: 14, text: '3.6.14' };
  assert.equal(versionMatches(v, parseVersionArg('3.6')), true);
  assert.equal(versionMatches(v, parseVersionArg('3.6.14')), true);
  assert.equal(versionMatches(v, parseVersionArg('3.6.13')), false);
  assert.equal(versionMatches(v, parseVersionArg('3.4')), false);
});

test('installCommand: apt-get on Debian, brew on macOS, none where etcd-lab knows no single command', async () => {
  const { installCommand } = await import('../../../src/etcd/binary.js');
  assert.equal(installCommand('linux', true), 'sudo apt-get install etcd-server etcd-client');
  assert.equal(installCommand('darwin', false), 'brew install etcd');
  assert.equal(installCommand('linux', false), null);
  assert.equal(installCommand('win32', false), null);
});

// Which etcd `up` and `snapshot restore` accept: an etcd older than 3.4, a binary of another version than
// --etcd-version asks for, a 3.6 without etcdutl for a restore, and no etcd at all. Each is refused with what,
// why and how to fix, and nothing is written. The fakes answer `--version` only: each refusal comes before etcd runs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installCommand } from '../../src/etcd/binary.js';
import { claimPorts } from '../helpers/ports.js';
import { assertNothingLeft, killIn, lab, runCli, show, tempDir, upArgs } from '../helpers/lab-cli.js';

const base = tempDir('etcd-lab-cli-versions');
const port = await claimPorts();

after(() => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

function fakeEtcd(name: string, versionLine: string): string {
  const folder = join(base, `bin-${name}`);
  mkdirSync(folder, { recursive: true });
  const p = join(folder, 'etcd');
  writeFileSync(p, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo '${versionLine}'; echo 'Git SHA: fake'; exit 0; fi\nexit 2\n`);
  chmodSync(p, 0o755);
  return p;
}

describe('etcd versions etcd-lab refuses, before anything is written', () => {
  test('--etcd pointing at etcd 3.3: ETCD_TOO_OLD naming the version, the minimum and the fix', async () => {
    const etcd = fakeEtcd('33', 'etcd Version: 3.3.27');
    const dir = join(base, 'old');
    const r = await lab(base, upArgs(dir, port, ['-d', '--etcd', etcd]));
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /error: --etcd \S+ is etcd 3\.3\.27; etcd-lab needs 3\.4\.0 or newer/);
    assert.match(r.stderr, /hint: .*apt-get install etcd-server.*brew install etcd/s);
    assert.equal(existsSync(dir), false, 'no state dir');
    await assertNothingLeft(dir);
  });

  test('--etcd at a 3.6 binary with --etcd-version 3.4: BAD_VERSION (exit 2) saying both versions', async () => {
    const etcd = fakeEtcd('36', 'etcd Version: 3.6.14');
    const dir = join(base, 'mismatch');
    const r = await lab(base, upArgs(dir, port, ['-d', '--etcd', etcd, '--etcd-version', '3.4']));
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /error: --etcd \S+ is etcd 3\.6\.14, but --etcd-version 3\.4 was asked for/);
    assert.match(r.stderr, /hint: drop --etcd-version to use etcd 3\.6\.14, or point --etcd at an etcd 3\.4 binary/);
    assert.equal(existsSync(dir), false, 'no state dir');
    // The same through ETCD_BIN.
    const e = await runCli(upArgs(dir, port, ['-d', '--etcd-version', '3.4.23']), { cwd: base, env: { ETCD_BIN: etcd } });
    assert.equal(e.code, 2, show(e));
    assert.match(e.stderr, /error: ETCD_BIN=\S+ is etcd 3\.6\.14, but --etcd-version 3\.4\.23 was asked for/);
    assert.equal(existsSync(dir), false, 'no state dir');
  });

  test('snapshot restore with an etcd 3.6 and no etcdutl next to it or on PATH: names etcdutl and why', async () => {
    const etcd = fakeEtcd('36-alone', 'etcd Version: 3.6.14');
    const file = join(base, 'some.db');
    writeFileSync(file, 'not read: the tool is missing before the file is looked at\n');
    const dir = join(base, 'restored');
    const r = await runCli(['snapshot', 'restore', file, '--dir', dir, '--ports', String(port), '--etcd', etcd], {
      cwd: base,
      env: { PATH: join(base, 'bin-36-alone'), ETCD_BIN: '' },
    });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /error: no etcdutl found next to the etcd binary or on PATH: etcd 3\.6\.14 removed `etcdctl snapshot status\/restore`/);
    assert.match(r.stderr, /hint: put the etcdutl of the same etcd release next to etcd/);
    assert.equal(existsSync(dir), false, 'no state dir');
  });

  test('no etcd anywhere and the download fails: ETCD_NOT_FOUND naming the one install command', async () => {
    const home = join(base, 'home');
    mkdirSync(home, { recursive: true });
    const dir = join(base, 'none');
    const r = await runCli(upArgs(dir, port, ['-d']), {
      cwd: base,
      // Nothing listens on our own claimed port + 40: the download fails at once, with no internet needed.
      env: { PATH: join(base, 'empty-path'), ETCD_BIN: '', HOME: home, XDG_CACHE_HOME: join(home, 'cache'), ETCD_LAB_DOWNLOAD_URL: `http://127.0.0.1:${port + 40}/rel` },
    });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stderr, /error: no etcd binary: .*downloading etcd 3\.6\.14 failed/);
    const install = installCommand();
    if (install) assert.match(r.stderr, new RegExp(`hint: Install etcd with: ${install.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    else assert.match(r.stderr, /Debian\/Ubuntu: sudo apt-get install etcd-server etcd-client/);
    assert.equal(existsSync(dir), false, 'no state dir');
    assert.equal(existsSync(join(home, 'cache', 'etcd-lab', '3.6.14')), false, 'nothing cached');
  });
});

// `status --watch`: its JSON stream (one object a line, for jq) and the bound on its interval.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawnCli } from '../helpers/cli.js';
import { assertNothingLeft, inTemp, killIn, lab, show, tempDir, upDetached } from '../helpers/lab-cli.js';
import { claimPorts } from '../helpers/ports.js';

const base = tempDir('etcd-lab-status-watch');
const port = await claimPorts();
after(() => {
  killIn(base);
  rmSync(base, { recursive: true, force: true });
});

test('status --watch --json: one status object a line with its time, then Ctrl-C ends it with exit 0', async () => {
  const tmp = tempDir('json', base);
  const dir = join(tmp, 'lab');
  await inTemp(
    tmp,
    async () => {
      await upDetached(tmp, dir, port);
      const child = spawnCli(['status', '--watch', '--json', '--interval', '100ms', '--dir', dir], { cwd: tmp });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const deadline = Date.now() + 15_000;
      while (out.split('\n').length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGINT');
      assert.equal(await exited, 0);
      const lines = out.trimEnd().split('\n');
      assert.ok(lines.length >= 3, out);
      for (const l of lines) {
        const s = JSON.parse(l) as { at: string; leader: string | null; members: { name: string; state: string }[] };
        assert.ok(!Number.isNaN(Date.parse(s.at)), l);
        assert.deepEqual(s.members.map((m) => m.name), ['m1', 'm2', 'm3']);
      }
      // A leader named (a sample may fall in an election), and every member running at the end.
      assert.ok(lines.some((l) => /^m[123]$/.test((JSON.parse(l) as { leader: string | null }).leader ?? '')), out);
      const last = JSON.parse(lines.at(-1)!) as { members: { state: string }[] };
      assert.ok(last.members.every((m) => m.state === 'running'), lines.at(-1));
      const down = await lab(tmp, ['down', '--dir', dir]);
      assert.equal(down.code, 0, show(down));
    },
    async () => {
      await lab(tmp, ['down', '--dir', dir]).catch(() => undefined);
    },
  );
  await assertNothingLeft(tmp);
});

test('status --watch with an interval under 100 ms: exit 2, it does not flood', async () => {
  const tmp = tempDir('interval', base);
  for (const interval of ['0', '1ms', '99ms']) {
    const r = await lab(tmp, ['status', '--watch', '--interval', interval, '--dir', join(tmp, 'lab')], { timeoutMs: 10_000 });
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, new RegExp(`error: --interval must be at least 100 ms, got ${interval}`));
    assert.equal(r.stdout, '');
  }
});

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellJoin, shellQuote, shellSplit, splitCommand } from '../../../src/plan/quote.js';
import { LabError } from '../../../src/errors.js';

const nasty = [
  '', ' ', 'a b', '  leading', 'a  b', "it's", "'", "''", `x'"'y`, '"quoted"', '$HOME', '${x}', '$(id)', '`id`',
  'a\nb', '\n', '\r', 'tab\there', 'ünïcödé ✓ 日本', '🚀', '\\', 'back\\slash', 'trailing\\', '*', '?', '[::1]',
  '~', '~root', '#notcomment', 'a#b', ';', '&&', '|', '>', '<', '(', ')', '!', '{a,b}', 'FOO=bar', '--flag=value',
  '-n', '-e', '%s', 'http://127.0.0.1:2379', 'infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380',
  '/tmp/my data/it\'s "here"/$HOME',
];

const emptyDir = mkdtempSync(join(tmpdir(), 'etcd-lab-sh-'));
after(() => rmSync(emptyDir, { recursive: true, force: true }));

/** What a real sh passes to `printf '%s\0' <args>`. */
function shArgv(args: string): string[] {
  // In an empty directory, so an unquoted pattern sh might expand matches nothing.
  const out = execFileSync('sh', ['-c', `printf '%s\\0' ${args}`], { encoding: 'utf8', cwd: emptyDir });
  return out.split('\0').slice(0, -1);
}

function assertRefused(command: string, fragment: RegExp) {
  assert.throws(() => shellSplit(command), (e: unknown) => {
    assert.ok(e instanceof LabError);
    assert.equal(e.code, 'BAD_PROCFILE');
    assert.match(e.message, fragment);
    assert.ok(e.hint);
    return true;
  }, `expected ${JSON.stringify(command)} to be refused`);
}

describe('shellQuote', () => {
  it('leaves safe words bare', () => {
    for (const arg of ['--name', 'etcd1', 'http://127.0.0.1:2379', 'a=b,c=d', '%s', '@x+y', '/a/b.c']) {
      assert.equal(shellQuote(arg), arg);
    }
  });

  it('single-quotes the rest, escaping embedded quotes', () => {
    assert.equal(shellQuote(''), "''");
    assert.equal(shellQuote('a b'), "'a b'");
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote('$HOME'), "'$HOME'");
    assert.equal(shellQuote('~'), "'~'");
    assert.equal(shellQuote('#x'), "'#x'");
  });

  it('refuses NUL, which no argv can hold', () => {
    assert.throws(() => shellQuote('a\0b'), LabError);
  });
});

describe('shellJoin / shellSplit', () => {
  it('round-trips every nasty string alone and all together', () => {
    for (const arg of nasty) {
      assert.deepEqual(shellSplit(shellJoin(['cmd', arg])), ['cmd', arg], JSON.stringify(arg));
    }
    assert.deepEqual(shellSplit(shellJoin(nasty)), nasty);
  });

  it('a real sh gets back exactly the same argv', () => {
    for (const arg of nasty) {
      assert.deepEqual(shArgv(shellJoin([arg])), [arg], JSON.stringify(arg));
    }
    assert.deepEqual(shArgv(shellJoin(nasty)), nasty);
  });

  it('joins with single spaces and nothing for an empty argv', () => {
    assert.equal(shellJoin(['etcd', '--name', 'a b']), "etcd --name 'a b'");
    assert.equal(shellJoin([]), '');
  });

  describe('a first word that sh would read as syntax', () => {
    let dir = '';
    const names = ['FOO=bar', 'if', 'time', 'done'];
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'etcd-lab-quote-'));
      for (const name of names) {
        writeFileSync(join(dir, name), '#!/bin/sh\nprintf \'%s\\0\' "$@"\n');
        chmodSync(join(dir, name), 0o755);
      }
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('is quoted so sh runs it as the command', () => {
      for (const name of names) {
        const joined = shellJoin([name, 'a b']);
        assert.notEqual(joined.split(' ')[0], name, `${name} must be quoted`);
        const r = spawnSync('sh', ['-c', joined], { encoding: 'utf8', env: { PATH: `${dir}:${process.env.PATH}` } });
        assert.equal(r.status, 0, `${name}: ${r.stderr}`);
        assert.deepEqual(r.stdout.split('\0').slice(0, -1), ['a b']);
        assert.deepEqual(shellSplit(joined), [name, 'a b']);
      }
    });
  });
});

describe('shellSplit on hand-written commands', () => {
  // Same style as etcd's own Procfile (etcd-io/etcd, file Procfile): a single-quoted --initial-cluster.
  const etcdStyle =
    "bin/etcd --name node-a --listen-client-urls http://127.0.0.1:4379 --advertise-client-urls http://127.0.0.1:4379 " +
    '--listen-peer-urls http://127.0.0.1:14380 --initial-advertise-peer-urls http://127.0.0.1:14380 ' +
    "--initial-cluster-token lab-1 --initial-cluster 'node-a=http://127.0.0.1:14380,node-b=http://127.0.0.1:24380,node-c=http://127.0.0.1:34380' " +
    '--initial-cluster-state new --enable-pprof';

  const commands = [
    etcdStyle,
    `a "b c" 'd e' f\\ g`,
    `"a \\"b\\" \\\\ \\$x \\q"`,
    `pre'mid'"post" "" ''`,
    `a\\'b a\\"b`,
    `a b # a comment with 'quotes`,
    'a#b c',
    'a \\\n b',
    'a\\\nb',
    `a$ "b$" "$"`,
    "  spaced\tout  ",
    'x "[::1]" [::1] "*" \\?',
    'trailing\\',
  ];

  it('agrees with a real sh', () => {
    for (const command of commands) {
      assert.deepEqual(shellSplit(command), shArgv(command), JSON.stringify(command));
    }
  });

  it('gives no words for an empty or comment-only command', () => {
    assert.deepEqual(shellSplit(''), []);
    assert.deepEqual(shellSplit('  # just a comment'), []);
  });

  it('reads the etcd Procfile style', () => {
    const argv = shellSplit(etcdStyle);
    assert.equal(argv[0], 'bin/etcd');
    assert.equal(
      argv[argv.indexOf('--initial-cluster') + 1],
      'node-a=http://127.0.0.1:14380,node-b=http://127.0.0.1:24380,node-c=http://127.0.0.1:34380',
    );
    assert.equal(argv.at(-1), '--enable-pprof');
    assert.equal(argv.length, 18);
  });

  it('refuses what needs a real shell, saying where', () => {
    assertRefused('a | b', /column 3.*'\|'/);
    assertRefused('a; b', /';'/);
    assertRefused('a && b', /'&'/);
    assertRefused('a > f', /'>'/);
    assertRefused('echo $HOME', /column 6: variable/);
    assertRefused('echo "$HOME"', /variable/);
    assertRefused('echo ${x}', /variable/);
    assertRefused('echo $(id)', /expansion/);
    assertRefused('echo `id`', /command substitution/);
    assertRefused('echo "`id`"', /command substitution/);
    assertRefused("echo $'x'", /expansion/);
    assertRefused('cat ~/x', /~/);
    assertRefused('ls *.txt', /column 4: '\*' is a file name pattern/);
    assertRefused('ls a?', /'\?'/);
    assertRefused('a\nb', /line break/);
    assertRefused("echo 'open", /unterminated single quote/);
    assertRefused('echo "open', /unterminated double quote/);
  });
});

describe('splitCommand', () => {
  it('takes leading assignments off as env', () => {
    assert.deepEqual(splitCommand("HTTP_PROXY=http://127.0.0.1:5000 EMPTY= A_1='x y' etcd --x=1 Y=2"), {
      env: { HTTP_PROXY: 'http://127.0.0.1:5000', EMPTY: '', A_1: 'x y' },
      argv: ['etcd', '--x=1', 'Y=2'],
    });
    assert.deepEqual(splitCommand('etcd'), { env: {}, argv: ['etcd'] });
  });

  it('treats a quoted name or = as a command word, like sh', () => {
    for (const command of ["'FOO=bar' x", 'FOO"=bar" x', 'F\\OO=bar x', '"FOO"=bar x', '1A=b x', 'A-B=c x']) {
      const { env, argv } = splitCommand(command);
      assert.deepEqual(env, {}, command);
      assert.equal(argv.length, 2, command);
      const r = spawnSync('/bin/sh', ['-c', command], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
      assert.equal(r.status, 127, `sh also runs ${JSON.stringify(argv[0])} as a command: ${r.stderr}`);
    }
  });

  it('agrees with sh about the environment', () => {
    const command = "A=1 B='x y' C=\"q\\\"z\" env";
    const { env } = splitCommand(command);
    const out = execFileSync('sh', ['-c', command], { encoding: 'utf8', env: {} });
    for (const [k, v] of Object.entries(env)) assert.ok(out.split('\n').includes(`${k}=${v}`), `${k}=${v} in ${out}`);
    assert.deepEqual(env, { A: '1', B: 'x y', C: 'q"z' });
  });

  it('refuses assignments with no command', () => {
    assert.throws(() => splitCommand('A=1'), { code: 'BAD_PROCFILE' });
    assert.throws(() => splitCommand('  '), { code: 'BAD_PROCFILE' });
  });
});

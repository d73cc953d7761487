import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseProcfile, procfileCommand, renderProcfile, type ProcfileEntryInput } from '../../../src/plan/procfile.js';
import { LabError } from '../../../src/errors.js';

const template = '# top\n{{header}}\n# bottom\n{{entries}}\n';

function refused(code: string, fragment: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof LabError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, fragment);
    assert.ok(e.hint, 'has a hint');
    return true;
  };
}

const nastyEntries: ProcfileEntryInput[] = [
  {
    name: 'etcd-1_a',
    env: { HTTP_PROXY: 'http://127.0.0.1:5001', ODD: `it's "odd" $HOME` },
    argv: ['/opt/my etcd/bin/etcd', '--name', 'etcd-1_a', '--data-dir', `/tmp/data dir/it's "here"/$HOME/ünï ✓`,
      '--initial-cluster', 'etcd-1_a=http://localhost.:2380,b=http://localhost.:3380', '--x=`id`', '', '#no'],
  },
  { name: 'B', argv: ['FOO=bar', 'if', '~', '*', 'a\\b'] },
  { name: '9', argv: ['etcd'] },
];

describe('renderProcfile', () => {
  it('fills the header as comments and one line per entry', () => {
    const text = renderProcfile(template, {
      header: ['3 members, quorum 2', '', 'two\nlines'],
      entries: [{ name: 'etcd1', argv: ['etcd', '--name', 'etcd1'], env: { HTTP_PROXY: 'http://127.0.0.1:7001' } }],
    });
    assert.equal(text, [
      '# top', '# 3 members, quorum 2', '#', '# two', '# lines', '# bottom',
      'etcd1: HTTP_PROXY=http://127.0.0.1:7001 etcd --name etcd1', '',
    ].join('\n'));
  });

  it('drops the header line when there is no header', () => {
    const text = renderProcfile(template, { header: [], entries: [{ name: 'a', argv: ['x'] }] });
    assert.equal(text, '# top\n# bottom\na: x\n');
  });

  it('render -> parse -> split gives back the same argv and env', () => {
    const text = renderProcfile(template, { header: ['nasty'], entries: nastyEntries });
    const parsed = parseProcfile(text);
    assert.deepEqual(parsed.map((e) => e.name), nastyEntries.map((e) => e.name));
    parsed.forEach((entry, i) => {
      assert.deepEqual(procfileCommand(entry), { env: nastyEntries[i]!.env ?? {}, argv: nastyEntries[i]!.argv });
    });
  });

  it('a rendered line run by sh -c (as goreman and foreman do) gets the exact argv', () => {
    const argv = nastyEntries[0]!.argv.slice(1);
    const text = renderProcfile(template, { header: [], entries: [{ name: 'p', argv: ['printf', '%s\\0', ...argv] }] });
    const [entry] = parseProcfile(text);
    const dir = mkdtempSync(join(tmpdir(), 'etcd-lab-procfile-'));
    try {
      const out = execFileSync('sh', ['-c', entry!.command], { encoding: 'utf8', cwd: dir });
      assert.deepEqual(out.split('\0').slice(0, -1), argv);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses names a Procfile cannot hold', () => {
    for (const name of ['etcd 1', 'a:b', '', 'ünï', '#x', 'a.b']) {
      assert.throws(() => renderProcfile(template, { header: [], entries: [{ name, argv: ['x'] }] }),
        refused('BAD_NAME', /Procfile process name/), JSON.stringify(name));
    }
    assert.throws(() => renderProcfile(template, { header: [], entries: [{ name: 'a', argv: ['x'] }, { name: 'a', argv: ['y'] }] }),
      refused('BAD_NAME', /two Procfile entries are named "a"/));
  });

  it('refuses line breaks and bad env names', () => {
    assert.throws(() => renderProcfile(template, { header: [], entries: [{ name: 'a', argv: ['x', 'a\nb'] }] }),
      refused('BAD_CONFIG', /a: .*line break/));
    assert.throws(() => renderProcfile(template, { header: [], entries: [{ name: 'a', argv: ['x'], env: { K: 'a\rb' } }] }),
      refused('BAD_CONFIG', /line break/));
    assert.throws(() => renderProcfile(template, { header: [], entries: [{ name: 'a', argv: ['x'], env: { '1K': 'v' } }] }),
      refused('BAD_CONFIG', /"1K" is not a valid environment variable name/));
  });

  it('refuses a template without {{entries}} or with an unknown placeholder', () => {
    assert.throws(() => renderProcfile('# only {{header}}\n', { header: [], entries: [] }), { code: 'INTERNAL' });
    assert.throws(() => renderProcfile('{{header}}\n', { header: [], entries: [] }), /no \{\{entries\}\}/);
    assert.throws(() => renderProcfile('{{foo}}\n{{entries}}\n', { header: [], entries: [] }), /unknown placeholder/);
  });
});

describe('parseProcfile', () => {
  // Same style as etcd's own Procfile (etcd-io/etcd, file Procfile): a comment, entries whose commands hold
  // colons, a single-quoted --initial-cluster, and an entry commented out with '#' and no space.
  const etcdStyle = [
    '# run with goreman',
    "node-a: bin/etcd --name node-a --listen-client-urls http://127.0.0.1:4379 --initial-cluster 'node-a=http://127.0.0.1:14380,node-b=http://127.0.0.1:24380' --enable-pprof",
    "node-b: bin/etcd --name node-b --listen-client-urls http://127.0.0.1:5379 --initial-cluster 'node-a=http://127.0.0.1:14380,node-b=http://127.0.0.1:24380' --enable-pprof",
    '#gateway: bin/etcd gateway start --endpoints=127.0.0.1:4379,127.0.0.1:5379',
    '',
  ].join('\n');

  it('reads the etcd Procfile style', () => {
    const entries = parseProcfile(etcdStyle);
    assert.deepEqual(entries.map((e) => [e.name, e.line]), [['node-a', 2], ['node-b', 3]]);
    assert.match(entries[0]!.command, /^bin\/etcd --name node-a --listen-client-urls http:\/\/127\.0\.0\.1:4379 /);
    const { argv } = procfileCommand(entries[1]!);
    assert.equal(argv[argv.indexOf('--initial-cluster') + 1], 'node-a=http://127.0.0.1:14380,node-b=http://127.0.0.1:24380');
  });

  it('handles CRLF, blank lines, indented comments and surrounding whitespace', () => {
    const text = '\uFEFF# c\r\n\r\n   \r\n  web :   ruby app.rb -p 5000  \r\n\t# indented: comment\r\nworker:x\r\n';
    assert.deepEqual(parseProcfile(text), [
      { name: 'web', command: 'ruby app.rb -p 5000', line: 4 },
      { name: 'worker', command: 'x', line: 6 },
    ]);
  });

  it('takes the name up to the first colon', () => {
    assert.deepEqual(parseProcfile('a: b: c:d'), [{ name: 'a', command: 'b: c:d', line: 1 }]);
  });

  it('refuses bad lines with file:line and a hint', () => {
    assert.throws(() => parseProcfile('a: x\n# c\na: y\n'), refused('BAD_PROCFILE', /^Procfile:3: duplicate process name "a" \(first on line 1\)/));
    assert.throws(() => parseProcfile('my app: x', 'dev/Procfile.lab'), refused('BAD_PROCFILE', /^dev\/Procfile\.lab:1: invalid process name "my app"/));
    assert.throws(() => parseProcfile('a: x\netcd.1: x\n'), refused('BAD_PROCFILE', /^Procfile:2: invalid process name "etcd.1"/));
    assert.throws(() => parseProcfile('a: x\n\njust words\n'), refused('BAD_PROCFILE', /^Procfile:3: expected "name: command", found no ':'/));
    assert.throws(() => parseProcfile('a: x\netcd1:   \r\n'), refused('BAD_PROCFILE', /^Procfile:2: process "etcd1" has no command/));
    assert.throws(() => parseProcfile(': x'), refused('BAD_PROCFILE', /^Procfile:1: invalid process name ""/));
  });

  it('refuses a file with no entries', () => {
    for (const text of ['', '\n\n', '# only\n#a: b\n']) {
      assert.throws(() => parseProcfile(text, 'P'), refused('BAD_PROCFILE', /^P: no processes found/));
    }
  });

  it('usage errors exit with 2', () => {
    assert.throws(() => parseProcfile(''), (e: unknown) => e instanceof LabError && e.exitCode === 2);
  });
});

describe('procfileCommand', () => {
  it('names the file, line and process when the command needs a shell', () => {
    const [, entry] = parseProcfile('a: x\nweb: run | tee log\n');
    assert.throws(() => procfileCommand(entry!, 'my/Procfile'), refused('BAD_PROCFILE', /^my\/Procfile:2: web: cannot read command at column 5/));
  });

  it('splits env assignments from the command', () => {
    const [entry] = parseProcfile("m1: HTTP_PROXY=http://127.0.0.1:7001 etcd --name m1 --data-dir 'a b'");
    assert.deepEqual(procfileCommand(entry!), {
      env: { HTTP_PROXY: 'http://127.0.0.1:7001' },
      argv: ['etcd', '--name', 'm1', '--data-dir', 'a b'],
    });
  });
});

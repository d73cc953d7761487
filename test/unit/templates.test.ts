import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readTemplate } from '../../src/templates.js';
import { parseProcfile, procfileCommand, renderProcfile } from '../../src/plan/procfile.js';

describe('templates/Procfile', () => {
  const template = readTemplate('Procfile');

  it('renders to a Procfile that parses back, header as comments', () => {
    const entries = [
      { name: 'etcd1', argv: ['etcd', '--name', 'etcd1', '--data-dir', '.etcd-lab/data/etcd1'] },
      { name: 'etcd2', argv: ['etcd', '--name', 'etcd2', '--data-dir', '.etcd-lab/data/etcd2'], env: { HTTP_PROXY: 'http://127.0.0.1:7002' } },
    ];
    const text = renderProcfile(template, { header: ['2 members: etcd1, etcd2', 'data: .etcd-lab/data'], entries });
    assert.doesNotMatch(text, /\{\{/);
    const lines = text.split('\n');
    const firstEntry = lines.findIndex((l) => l.startsWith('etcd1: '));
    assert.ok(firstEntry > 0);
    for (const line of lines.slice(0, firstEntry)) assert.ok(line === '' || line.startsWith('#'), line);
    assert.ok(lines.includes('# 2 members: etcd1, etcd2'));
    for (const how of ['goreman -f Procfile start', 'foreman start -f Procfile', 'etcd-lab start -f Procfile', '--data-dir']) {
      assert.ok(text.includes(how), how);
    }
    const parsed = parseProcfile(text);
    assert.deepEqual(parsed.map((e) => procfileCommand(e)), entries.map((e) => ({ env: e.env ?? {}, argv: e.argv })));
  });
});

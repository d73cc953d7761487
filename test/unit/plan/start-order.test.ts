import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bootstrapAnchor } from '../../../src/plan/start-order.js';

const peers = (...urls: string[]) => urls.map((peerURL) => ({ peerURL }));

describe('bootstrapAnchor', () => {
  test('is the member whose peer URL sorts first', () => {
    assert.equal(bootstrapAnchor(peers('http://127.0.0.1:2380', 'http://127.0.0.1:12380', 'http://127.0.0.1:22380')), 1);
    assert.equal(bootstrapAnchor(peers('http://127.0.0.1:22380', 'http://127.0.0.1:22382', 'http://127.0.0.1:22384')), 0);
  });

  test('compares as strings, the way etcd sorts them, not as port numbers', () => {
    // 10001 < 9999 as numbers' digits go: "1" sorts before "9".
    assert.equal(bootstrapAnchor(peers('http://127.0.0.1:9999', 'http://127.0.0.1:10001')), 1);
  });

  test('takes the whole URL: scheme and host count before the port', () => {
    assert.equal(bootstrapAnchor(peers('https://127.0.0.1:1000', 'http://localhost.:5000', 'http://127.0.0.1:6000')), 2);
  });

  test('is -1 for no members', () => {
    assert.equal(bootstrapAnchor([]), -1);
  });
});

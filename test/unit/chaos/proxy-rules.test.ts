// PURE. Which direction each kind of rafthttp request carries its payload, and which cut blocks it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPeerRequest, flowBlocked } from '../../../src/chaos/proxy.js';
import { cut, emptyLinks, link } from '../../../src/chaos/links.js';

const NAMES = ['m1', 'm2', 'm3'];

describe('classifyPeerRequest / flowBlocked', () => {
  it('maps rafthttp paths to the direction their payload travels', () => {
    assert.equal(classifyPeerRequest('GET', '/raft/stream/msgapp/8e9e05c52164694d'), 'stream');
    assert.equal(classifyPeerRequest('GET', '/raft/stream/message/8e9e05c52164694d'), 'stream');
    assert.equal(classifyPeerRequest('POST', '/raft'), 'push');
    assert.equal(classifyPeerRequest('POST', '/raft/snapshot'), 'push');
    assert.equal(classifyPeerRequest('GET', '/raft/probing'), 'exchange');
    assert.equal(classifyPeerRequest('GET', '/version'), 'exchange');
    assert.equal(classifyPeerRequest('GET', '/members'), 'exchange');
    assert.equal(classifyPeerRequest('POST', '/leases'), 'exchange');
  });

  it('blocks each kind on the right direction', () => {
    const t = cut(emptyLinks(NAMES), 'm2', 'm1');
    const g = (f: string, d: string) => link(t, f, d);
    // owner m1, peer m2; only m2 -> m1 is cut
    assert.equal(flowBlocked('stream', 'm1', 'm2', g), true);
    assert.equal(flowBlocked('push', 'm1', 'm2', g), false);
    assert.equal(flowBlocked('exchange', 'm1', 'm2', g), true);
    assert.equal(flowBlocked('tunnel', 'm1', 'm2', g), false);
    // owner m2, peer m1: the same cut seen from the other end
    assert.equal(flowBlocked('stream', 'm2', 'm1', g), false);
    assert.equal(flowBlocked('push', 'm2', 'm1', g), true);
    const both = cut(t, 'm1', 'm2');
    assert.equal(flowBlocked('tunnel', 'm1', 'm2', (f, d) => link(both, f, d)), true);
  });
});


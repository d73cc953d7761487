import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memberEnv } from '../../../src/etcd/member-env.js';

test('memberEnv drops proxies (any case), ETCD_* and ETCDCTL_*, then adds the plan env', () => {
  const parent = {
    PATH: '/usr/bin',
    HOME: '/home/u',
    HTTP_PROXY: 'http://corp:3128',
    https_proxy: 'http://corp:3128',
    No_Proxy: 'localhost',
    ALL_PROXY: 'socks5://x',
    ETCD_NAME: 'evil',
    ETCD_DATA_DIR: '/x',
    ETCDCTL_API: '3',
    ETCDCTL_ENDPOINTS: 'http://x',
    MY_ETCD_THING: 'kept',
    UNSET: undefined,
  };
  const env = memberEnv(parent, { HTTP_PROXY: 'http://127.0.0.1:20010' });
  assert.deepEqual(env, { PATH: '/usr/bin', HOME: '/home/u', MY_ETCD_THING: 'kept', GOGC: '400', HTTP_PROXY: 'http://127.0.0.1:20010' });
  assert.equal(parent.ETCD_NAME, 'evil', 'the parent env is not changed');
});

test("memberEnv sets Go's GC target to 400 unless the user or the plan sets GOGC", () => {
  assert.equal(memberEnv({ PATH: '/usr/bin' }, {}).GOGC, '400');
  assert.equal(memberEnv({ GOGC: '100' }, {}).GOGC, '100');
  assert.equal(memberEnv({ GOGC: 'off' }, { GOGC: '50' }).GOGC, '50');
});

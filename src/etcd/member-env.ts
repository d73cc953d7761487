// PURE. The environment an etcd process runs with (members and the gRPC proxy).

const PROXY_VARS = new Set(['http_proxy', 'https_proxy', 'no_proxy', 'all_proxy']);

/**
 * Go's GC target for members unless the user sets GOGC. At start-up etcd's heap is tiny, so the default (100) runs
 * collection after collection while it initialises; 400 makes a 5-member start ~45 ms (p50) and a 9-member start
 * ~150 ms faster on 2 cores, and the members' RSS stayed the same (5 members: ~140 MB idle, ~260 MB after a load).
 */
export const MEMBER_GOGC = '400';

/**
 * The environment of an etcd member: the parent's, minus proxy settings (members must not send peer traffic
 * through the user's proxy) and minus ETCD_* / ETCDCTL_* (etcd reads ETCD_* as flags), GOGC=MEMBER_GOGC unless set,
 * then `planEnv` on top.
 */
export function memberEnv(
  parentEnv: Record<string, string | undefined>,
  planEnv: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parentEnv)) {
    if (v === undefined) continue;
    const lower = k.toLowerCase();
    if (PROXY_VARS.has(lower) || lower.startsWith('etcd_') || lower.startsWith('etcdctl_')) continue;
    out[k] = v;
  }
  out.GOGC ??= MEMBER_GOGC;
  return { ...out, ...planEnv };
}

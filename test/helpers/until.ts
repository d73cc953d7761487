// A bounded wait for a condition the tests poll (a leader, a link's counters, a member back up).

/**
 * Calls `fn` every `pollMs` until it returns something other than undefined; a throw counts as "not yet" and is
 * named in the timeout error.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 10_000, pollMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

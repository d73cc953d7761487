// The tests' one bounded wait for a condition they poll (a leader, a link's counters, a member back up, a process
// gone). Two front doors to the same loop: `until` for a probe that answers "not yet" with undefined, `waitFor` for
// a value and a test of it.

/**
 * Calls `fn` every `pollMs` until it returns something other than undefined; a throw counts as "not yet" and is
 * named in the timeout error, as is `last()` when given.
 */
export async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  pollMs = 50,
  last?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let error: unknown;
  for (;;) {
    try {
      const v = await fn();
      error = undefined;
      if (v !== undefined) return v;
    } catch (e) {
      error = e;
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `; last: ${last()}` : ''}${error ? `; error: ${String(error)}` : ''}`);
}

/** Polls `get` until `ok` holds (bounded); returns that value. The timeout error shows the last one. */
export async function waitFor<T>(get: () => T | Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  let last: T | undefined;
  const found = await until(
    what,
    async () => {
      last = await get();
      return ok(last) ? { v: last } : undefined;
    },
    timeoutMs,
    everyMs,
    () => JSON.stringify(last),
  );
  return found.v;
}

/** Waits until `cond()` is true (bounded). */
export async function untilTrue(cond: () => boolean, what: string, timeoutMs = 10_000, pollMs = 20): Promise<void> {
  await until(what, () => (cond() ? true : undefined), timeoutMs, pollMs);
}

/**
 * Waiters of this process, by lock key, for a release by any SpaceLock of
 * the process. A waiter woken this way tries again at once instead of sleeping
 * out its backoff: a released space no longer sits idle for up to `maxMs`.
 * Waiters are woken in the order they began to wait, which is the order in
 * which their attempts reach the in-process slot, so the longest waiter of the
 * process goes first. A release elsewhere (another process, a deployed
 * replica) wakes nobody here; the backoff still covers it.
 */
const waiting = new Map<string, Set<() => void>>();

/** Wakes every waiter of `key` in this process. O(1) when nobody waits. */
export function wakeWaiters(key: string): void {
  if (waiting.size === 0) return;
  const wakers = waiting.get(key);
  if (wakers === undefined) return;
  waiting.delete(key);
  for (const wake of wakers) wake();
}

/**
 * Resolves after `ms`, or as soon as `key` is released in this process,
 * whichever comes first; rejects with the signal's reason if it aborts. Leaves
 * no timer and no listener behind in any case.
 */
export function waitForRelease(key: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      const wakers = waiting.get(key);
      wakers?.delete(wake);
      if (wakers?.size === 0) waiting.delete(key);
    };
    const wake = () => {
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(abortReason(signal!));
    };
    const timer = setTimeout(wake, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
    let wakers = waiting.get(key);
    if (wakers === undefined) waiting.set(key, (wakers = new Set()));
    wakers.add(wake);
  });
}

/** The signal's reason, passed on as given: an Error unless the caller aborted with something else. */
function abortReason(signal: AbortSignal): Error {
  return signal.reason as Error;
}

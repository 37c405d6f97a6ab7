/**
 * Waiting for a condition in a test: polled, bounded in time (generously, for a
 * loaded machine) and never by a count of turns, failing with what was awaited.
 * Shared by the space-lock and git-sync suites.
 */

/** The default bound: far beyond what any awaited condition takes, yet well inside a test's timeout. */
export const WAIT_TIMEOUT_MS = 30_000;

/**
 * Polls `check` until it returns a value other than undefined, which it resolves to;
 * rejects naming `what` after `timeoutMs` (a function may describe the last state seen).
 */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string | (() => string),
  timeoutMs = WAIT_TIMEOUT_MS,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Polls `condition` until it holds; rejects naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = WAIT_TIMEOUT_MS,
  everyMs = 10,
): Promise<void> {
  await eventually(async () => ((await condition()) ? true : undefined), what, timeoutMs, everyMs);
}

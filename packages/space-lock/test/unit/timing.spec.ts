import {
  TIMER_LATENESS_MS,
  backoffDelayMs,
  driftMs,
  leaseDeadline,
  monotonicNow,
  refreshIntervalMs,
} from '../../src/timing';

describe('timing', () => {
  it.each([
    [3, 1],
    [4, 1],
    [6, 2],
    [100, 33],
    [30_000, 10_000],
  ])('refresh interval for ttl %i is %i', (ttl, interval) => {
    expect(refreshIntervalMs(ttl)).toBe(interval);
  });

  it('never refreshes more often than every millisecond', () => {
    expect(refreshIntervalMs(1)).toBe(1);
  });

  it('ends the lease 1% + 2 ms + the timer lateness allowance before the key expires', () => {
    expect(TIMER_LATENESS_MS).toBe(50);
    expect(driftMs(30_000)).toBe(300 + 2 + 50);
    expect(driftMs(1_000)).toBe(10 + 2 + 50);
    expect(leaseDeadline(1_000, 30_000)).toBe(1_000 + 30_000 - 352);
  });

  it('reads a monotonic clock, which a wall-clock change does not move', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      const before = monotonicNow();
      jest.setSystemTime(Date.now() + 3_600_000);
      expect(monotonicNow() - before).toBeLessThan(1_000);
      jest.advanceTimersByTime(250);
      expect(monotonicNow() - before).toBe(250);
    } finally {
      jest.useRealTimers();
    }
  });

  it('backs off exponentially up to the cap, with full jitter', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 50, 1_000, top))).toEqual([49, 99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, 50, 1_000, () => 0)).toBe(0);
    expect(backoffDelayMs(1_000, 50, 1_000, top)).toBe(999);
  });
});

import { backoffDelayMs, driftMs, leaseDeadline, refreshIntervalMs } from '../../src/timing';

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

  it('leaves 1% + 2 ms of drift before the lease deadline', () => {
    expect(driftMs(30_000)).toBe(302);
    expect(leaseDeadline(1_000, 30_000)).toBe(1_000 + 30_000 - 302);
  });

  it('backs off exponentially up to the cap, with full jitter', () => {
    const top = () => 0.999999;
    expect([0, 1, 2, 3, 4, 5].map((a) => backoffDelayMs(a, 50, 1_000, top))).toEqual([49, 99, 199, 399, 799, 999]);
    expect(backoffDelayMs(3, 50, 1_000, () => 0)).toBe(0);
    expect(backoffDelayMs(1_000, 50, 1_000, top)).toBe(999);
  });
});

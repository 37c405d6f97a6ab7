import { MemoryLockStore } from '../../src';

describe('MemoryLockStore', () => {
  let now: number;
  let store: MemoryLockStore;

  beforeEach(() => {
    now = 1_000;
    store = new MemoryLockStore(() => now);
  });

  it('acquires only when the key is free (SET NX)', async () => {
    await expect(store.acquire('k', 'a', 100)).resolves.toBe(true);
    await expect(store.acquire('k', 'b', 100)).resolves.toBe(false);
    expect(store.holder('k')).toBe('a');
  });

  it('expires after the TTL, like PX', async () => {
    await store.acquire('k', 'a', 100);
    now += 99;
    await expect(store.acquire('k', 'b', 100)).resolves.toBe(false);
    now += 1;
    expect(store.holder('k')).toBeUndefined();
    await expect(store.acquire('k', 'b', 100)).resolves.toBe(true);
  });

  it('releases only its own value (compare-and-delete)', async () => {
    await store.acquire('k', 'a', 100);
    await expect(store.release('k', 'b')).resolves.toBe(false);
    expect(store.holder('k')).toBe('a');
    await expect(store.release('k', 'a')).resolves.toBe(true);
    expect(store.holder('k')).toBeUndefined();
  });

  it('refreshes only its own value and resets the TTL (compare-and-pexpire)', async () => {
    await store.acquire('k', 'a', 100);
    now += 90;
    await expect(store.refresh('k', 'b', 100)).resolves.toBe(false);
    await expect(store.refresh('k', 'a', 100)).resolves.toBe(true);
    now += 90;
    expect(store.holder('k')).toBe('a');
  });

  it('does not refresh or release an expired key', async () => {
    await store.acquire('k', 'a', 100);
    now += 100;
    await expect(store.refresh('k', 'a', 100)).resolves.toBe(false);
    await expect(store.release('k', 'a')).resolves.toBe(false);
  });
});

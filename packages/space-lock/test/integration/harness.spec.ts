import { SpaceLock } from '../../src';
import { createClient, deleteKeys, getRedisUrl, uniquePrefix } from '../helpers/redis-server';

describe('the shared-Redis harness', () => {
  it("deletes a test's keys and their fence counters, and leaves every other key alone", async () => {
    const admin = createClient(await getRedisUrl());
    const mine = uniquePrefix('harness-mine');
    const theirs = uniquePrefix('harness-theirs');
    const lock = new SpaceLock({ redis: admin, keyPrefix: mine, fencing: true, wakeOnRelease: false });
    try {
      // A fencing hold leaves its counter behind on purpose: tokens must never go back.
      await lock.withSpaceLock('space', async () => {
        await admin.set(`${mine}other`, 'x');
      });
      await admin.set(`${theirs}space`, 'x');
      await admin.set(`{${theirs}space}:fence`, '7');
      expect(await admin.exists(`{${mine}space}:fence`)).toBe(1);

      await deleteKeys(admin, mine);

      expect(await admin.exists(`${mine}other`, `{${mine}space}:fence`)).toBe(0);
      expect(await admin.exists(`${theirs}space`, `{${theirs}space}:fence`)).toBe(2);
    } finally {
      await lock.close();
      await deleteKeys(admin, theirs);
      await deleteKeys(admin, mine);
    }
  });
});

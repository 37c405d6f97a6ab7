import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GuardedCycleRunner, type OwnedCycleRunner } from '../../src/orchestrator/guarded-cycle-runner';
import { WorkTreeOverlapError } from '../../src/orchestrator/work-tree-overlap.error';
import { type CycleStatus, emptyCycleStatus, StaleFencingTokenError } from '../../src/engine';
import type { LockScope } from '../../src/orchestrator';
import { deferred } from '../../../../packages/space-lock/test/helpers/fake-redis';
import { waitFor } from '../../../../packages/space-lock/test/helpers/wait-for';
import { useTestEngine } from './support/test-engine';

const SPACE = '3f0e4a52-0c1d-4d8e-9b7a-5a6c7d8e9f01';

/** An inner cycle that waits for its gate, recording each call. */
class GatedRunner implements OwnedCycleRunner {
  readonly started: Array<LockScope & { owner?: string }> = [];
  gate = deferred<void>();
  async runCycle(_spaceId: string, options: LockScope & { owner?: string }): Promise<CycleStatus> {
    this.started.push(options);
    await this.gate.promise;
    return emptyCycleStatus();
  }
}

function scope(fencingToken?: number): LockScope {
  return { signal: new AbortController().signal, fencingToken };
}

describe('cycle markers with fencing tokens', () => {
  const t = useTestEngine('pglite');

  it('a later token takes over the marker of a cycle still running; the overtaken cycle counts the overlap and leaves the marker alone', async () => {
    const inner = new GatedRunner();
    // Every marker counts as old: only the tokens may decide.
    const a = new GuardedCycleRunner(inner, join(t.tmp, 'takeover'), 'replica-a', 0);
    const b = new GuardedCycleRunner(inner, join(t.tmp, 'takeover'), 'replica-b', 0);
    const marker = join(t.tmp, 'takeover', '.cycle-markers', SPACE);
    const first = a.runCycle(SPACE, scope(1));
    await waitFor('the first cycle to start', () => inner.started.length === 1);
    const gateA = inner.gate;
    inner.gate = deferred<void>();
    const second = b.runCycle(SPACE, scope(2));
    await waitFor('the second cycle to start', () => inner.started.length === 2);
    expect(JSON.parse(await readFile(marker, 'utf8'))).toMatchObject({ holder: 'replica-b', fencingToken: 2 });
    expect(inner.started.map((s) => s.owner)).toEqual(['replica-a', 'replica-b']);

    gateA.resolve();
    await first;
    expect(a.overlapCount).toBe(1);
    expect(JSON.parse(await readFile(marker, 'utf8'))).toMatchObject({ holder: 'replica-b', fencingToken: 2 });

    inner.gate.resolve();
    await second;
    expect(b.overlapCount).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });

  it("a stale holder finding a later token's marker is refused as an overlap, however old that marker is", async () => {
    const inner = new GatedRunner();
    const later = new GuardedCycleRunner(inner, join(t.tmp, 'refused'), 'replica-later', 0);
    const stale = new GuardedCycleRunner(inner, join(t.tmp, 'refused'), 'replica-stale', 0);
    const running = later.runCycle(SPACE, scope(7));
    await waitFor('the first cycle to start', () => inner.started.length === 1);
    const refused = await stale.runCycle(SPACE, scope(6)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkTreeOverlapError);
    expect(refused).toMatchObject({ spaceId: SPACE, otherHolder: 'replica-later' });
    expect(stale.overlapCount).toBe(1);
    expect(inner.started).toHaveLength(1);
    inner.gate.resolve();
    await running;
    expect(later.overlapCount).toBe(0);
  });

  it('without tokens, a marker younger than the TTL is a live cycle and an older one a dead one', async () => {
    const inner = new GatedRunner();
    inner.gate.resolve();
    const dir = join(t.tmp, 'untokened');
    const runner = new GuardedCycleRunner(inner, dir, 'replica', 60_000);
    await runner.runCycle(SPACE, scope());
    await writeFile(join(dir, '.cycle-markers', SPACE), JSON.stringify({ holder: 'other', startedAt: Date.now() }));
    await expect(runner.runCycle(SPACE, scope())).rejects.toBeInstanceOf(WorkTreeOverlapError);
    await writeFile(
      join(dir, '.cycle-markers', SPACE),
      JSON.stringify({ holder: 'dead', startedAt: Date.now() - 120_000 }),
    );
    await runner.runCycle(SPACE, scope());
    expect(existsSync(join(dir, '.cycle-markers', SPACE))).toBe(false);
  });

  it("never recovers under a later token's marker: no lock file removed, no reset, the marker kept", async () => {
    const space = await t.pages.createSpace({ name: 'Live owner' });
    await t.pages.createPage(space.id, { title: 'Page', content: 'one\n' }, 'user');
    await t.sync.runCycle(space.id, { fencingToken: 3, owner: 'replica-a' });
    const vault = t.sync.vault(space.id);
    const markerPath = join(vault.stateDir, 'cycle-in-progress');
    // Another replica's cycle (token 4) is inside the repository, holding the index lock.
    await writeFile(markerPath, JSON.stringify({ owner: 'replica-b', fencingToken: 4 }));
    await writeFile(join(vault.gitDir, 'index.lock'), '');
    await writeFile(join(vault.path, 'Page.md'), "mid-way through replica-b's checkout\n");

    const error = await t.sync.runCycle(space.id, { fencingToken: 3, owner: 'replica-a' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StaleFencingTokenError);
    expect(error).toMatchObject({ spaceId: space.id, token: 3, currentToken: 4 });
    expect(existsSync(join(vault.gitDir, 'index.lock'))).toBe(true);
    expect(await readFile(join(vault.path, 'Page.md'), 'utf8')).toBe("mid-way through replica-b's checkout\n");
    expect(JSON.parse(await readFile(markerPath, 'utf8'))).toEqual({ owner: 'replica-b', fencingToken: 4 });

    // Once replica-b's hold is over, a later token recovers what it left and removes the marker at its end.
    const status = await t.sync.runCycle(space.id, { fencingToken: 5, owner: 'replica-a' });
    expect(status.push.failures).toBe(0);
    expect(existsSync(join(vault.gitDir, 'index.lock'))).toBe(false);
    expect(await readFile(join(vault.path, 'Page.md'), 'utf8')).toContain('one\n');
    expect(existsSync(markerPath)).toBe(false);
  });

  it('removes a cycle marker only for its owner', async () => {
    const space = await t.pages.createSpace({ name: 'Owned marker' });
    await t.sync.runCycle(space.id);
    const markerPath = join(t.sync.vault(space.id).stateDir, 'cycle-in-progress');
    await writeFile(markerPath, JSON.stringify({ owner: 'replica-b', fencingToken: 2 }));
    expect(await t.sync.vault(space.id, { owner: 'replica-a', fencingToken: 1 }).markCycleEnd()).toBe(false);
    expect(existsSync(markerPath)).toBe(true);
    expect(await t.sync.vault(space.id, { owner: 'replica-b', fencingToken: 2 }).markCycleEnd()).toBe(true);
    expect(existsSync(markerPath)).toBe(false);
  });

  it("writes state files whole with the writer's token, and never over a later token's file", async () => {
    const space = await t.pages.createSpace({ name: 'State files' });
    await t.sync.runCycle(space.id);
    const later = t.sync.vault(space.id, { owner: 'b', fencingToken: 5 });
    await later.writeState('deferred-deletes.json', { deletes: ['x'] });
    expect(await later.readState('deferred-deletes.json')).toEqual({ deletes: ['x'], fencingToken: 5 });

    const stale = t.sync.vault(space.id, { owner: 'a', fencingToken: 4 });
    await expect(stale.writeState('deferred-deletes.json', { deletes: [] })).rejects.toMatchObject({
      name: 'StaleFencingTokenError',
      token: 4,
      currentToken: 5,
    });
    expect(await later.readState('deferred-deletes.json')).toEqual({ deletes: ['x'], fencingToken: 5 });

    await t.sync.vault(space.id, { owner: 'c', fencingToken: 6 }).writeState('deferred-deletes.json', { deletes: [] });
    expect(await later.readState('deferred-deletes.json')).toEqual({ deletes: [], fencingToken: 6 });
  });
});

import { setTimeout as delay } from 'node:timers/promises';
import type { Engine } from '../engine';
import type { Vault } from '../vault/vault';
import type { VaultRefs } from '../vault/vault.types';
import type { GitRepositoryProvider, RepositoryAccess } from '../git-http/git-repository-provider.port';
import { RepositoryNotReadyError } from '../git-http/repository-not-ready.error';
import type { CycleRunner } from '../orchestrator/cycle-runner.port';
import { GitSyncLockHeldError } from '../orchestrator/git-sync-lock-held.error';
import type { GitSyncOrchestrator } from '../orchestrator/git-sync.orchestrator';

// A read of a space whose repository does not exist yet tries the lock only
// briefly at a time: whoever holds it is most likely creating the repository,
// which the read then finds on its next look.
const READ_LOCK_WAIT_MS = 200;
const READ_RECHECK_MS = 50;

/**
 * The git host serves each space's vault. Nothing writes to a vault outside
 * the space's lock. A space's vault is created with the space (see
 * `GitSyncOrchestrator.provision`), so clones and fetches only ever read.
 * A space from before that, whose vault does not exist yet, is created and
 * filled by a first cycle under the lock on its first read, which keeps
 * looking for up to `readWaitMs` rather than failing at the first busy lock.
 */
export class VaultRepositoryProvider implements GitRepositoryProvider {
  constructor(
    private readonly engine: Engine,
    private readonly orchestrator: GitSyncOrchestrator,
    private readonly cycles: CycleRunner,
    private readonly readWaitMs: number,
  ) {}

  async ensureRepository(spaceId: string, access: RepositoryAccess = { underLock: false }): Promise<string> {
    const vault = this.engine.sync.vault(spaceId);
    if (access.underLock) {
      await vault.ensure();
      return vault.path;
    }
    const startedAt = performance.now();
    for (;;) {
      if (await isReady(vault)) return vault.path;
      const remaining = this.readWaitMs - (performance.now() - startedAt);
      try {
        await this.orchestrator.runExclusive(
          spaceId,
          async (_signal, scope) => {
            // Another replica may have created it while this one waited for the lock.
            if (!(await isReady(vault))) await this.cycles.runCycle(spaceId, scope);
          },
          { waitMs: Math.max(0, Math.min(READ_LOCK_WAIT_MS, remaining)) },
        );
        return vault.path;
      } catch (err) {
        if (!(err instanceof GitSyncLockHeldError)) throw err;
        if (performance.now() - startedAt >= this.readWaitMs) {
          throw new RepositoryNotReadyError({ spaceId, waitedMs: Math.round(performance.now() - startedAt) });
        }
        await delay(READ_RECHECK_MS);
      }
    }
  }
}

/** Read-only: the vault exists with all of its refs. */
async function isReady(vault: Vault): Promise<boolean> {
  const refs = await vault.readRefs().catch((): Partial<VaultRefs> => ({}));
  return Boolean(refs.main && refs.pages && refs.lastPushed);
}

import type { Engine } from '../engine';
import type { Vault } from '../vault/vault';
import type { VaultRefs } from '../vault/vault.types';
import type { GitRepositoryProvider, RepositoryAccess } from '../git-http/git-repository-provider.port';
import type { CycleRunner } from '../orchestrator/cycle-runner.port';
import type { GitSyncOrchestrator } from '../orchestrator/git-sync.orchestrator';

/**
 * The git host serves each space's vault. Nothing writes to a vault outside
 * the space's lock: a vault that already exists is only read for clones and
 * fetches, and one that does not yet exist is created, and filled with the
 * space's pages, by a first cycle under the lock, so the first clone of a
 * space already shows its pages. That first cycle waits for a busy space
 * like a push does, and a space that stays busy is answered with 503.
 */
export class VaultRepositoryProvider implements GitRepositoryProvider {
  constructor(
    private readonly engine: Engine,
    private readonly orchestrator: GitSyncOrchestrator,
    private readonly cycles: CycleRunner,
  ) {}

  async ensureRepository(spaceId: string, access: RepositoryAccess = { underLock: false }): Promise<string> {
    const vault = this.engine.engine.vault(spaceId);
    if (access.underLock) {
      await vault.ensure();
    } else if (!(await isReady(vault))) {
      await this.orchestrator.runExclusive(spaceId, async (signal) => {
        // Another replica may have created it while this one waited for the lock.
        if (!(await isReady(vault))) await this.cycles.runCycle(spaceId, { signal });
      });
    }
    return vault.path;
  }
}

/** Read-only: the vault exists with all of its refs. */
async function isReady(vault: Vault): Promise<boolean> {
  const refs = await vault.readRefs().catch(() => ({}) as Partial<VaultRefs>);
  return Boolean(refs.main && refs.pages && refs.lastPushed);
}

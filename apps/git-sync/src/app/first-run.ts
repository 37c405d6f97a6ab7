import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AccountStore } from '../accounts';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { GitSyncOrchestrator } from '../orchestrator/git-sync.orchestrator';
import { PageStore } from '../pages/page-store';
import { ensureDemo, isFirstRun, type DemoCredentials } from './demo-seed';

/**
 * What a start does around serving: before it, the operator's admin from
 * `GIT_SYNC_ADMIN_TOKEN_SHA256`; once listening, the demo (when `seedDemo`).
 * Whether this is a first run is decided before the admin is created, so
 * the admin does not make the demo think the database is in use.
 */
@Injectable()
export class FirstRun implements OnApplicationBootstrap {
  readonly #logger = new Logger(FirstRun.name);
  #firstRun = false;

  constructor(
    @Inject(GIT_SYNC_CONFIG) private readonly config: GitSyncConfig,
    @Inject(PageStore) private readonly pages: PageStore,
    @Inject(AccountStore) private readonly accounts: AccountStore,
    @Inject(GitSyncOrchestrator) private readonly orchestrator: GitSyncOrchestrator,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.#firstRun = this.config.seedDemo && (await isFirstRun(this.pages, this.accounts));
    const admin = this.config.bootstrapAdmin;
    if (admin) {
      const user = await this.accounts.ensureAdmin(admin.username, admin.tokenHash);
      this.#logger.log({ msg: 'bootstrap admin ready', username: user.username, userId: user.id });
    }
  }

  /**
   * The demo credentials for the banner: seeded now on a first run, read back
   * on later ones; undefined without a demo. Called once the server listens.
   * The demo space's first cycle runs before the credentials are saved, so the
   * repository exists by the time anyone is told how to clone it.
   */
  async demo(): Promise<DemoCredentials | undefined> {
    if (!this.config.seedDemo) return undefined;
    return ensureDemo(this.pages, this.accounts, this.config.dataDir, this.#firstRun, (spaceId) =>
      this.orchestrator.provision(spaceId),
    );
  }
}

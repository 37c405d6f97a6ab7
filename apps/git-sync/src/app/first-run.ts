import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AccountStore } from '../accounts';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { PageStore } from '../pages/page-store';
import { ensureDemo, type DemoCredentials } from './demo-seed';

/**
 * What a start does before serving: the demo on a first run (when
 * `seedDemo`), then the operator's admin from `GIT_SYNC_ADMIN_TOKEN_SHA256`.
 * The demo goes first: it only seeds a database without users.
 */
@Injectable()
export class FirstRun implements OnApplicationBootstrap {
  readonly #logger = new Logger(FirstRun.name);
  #demo: DemoCredentials | undefined;

  constructor(
    @Inject(GIT_SYNC_CONFIG) private readonly config: GitSyncConfig,
    @Inject(PageStore) private readonly pages: PageStore,
    @Inject(AccountStore) private readonly accounts: AccountStore,
  ) {}

  /** The demo credentials, for the banner `main` prints; undefined when there is no demo. */
  get demo(): DemoCredentials | undefined {
    return this.#demo;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.seedDemo) this.#demo = await ensureDemo(this.pages, this.accounts, this.config.dataDir);
    const admin = this.config.bootstrapAdmin;
    if (admin) {
      const user = await this.accounts.ensureAdmin(admin.username, admin.tokenHash);
      this.#logger.log({ msg: 'bootstrap admin ready', username: user.username, userId: user.id });
    }
  }
}

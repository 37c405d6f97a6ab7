import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { GitSyncOrchestrator } from '../orchestrator/git-sync.orchestrator';
import { PageStore } from '../pages/page-store';

/**
 * Schedules a debounced cycle for a space whenever a person edits one of
 * its pages. The cycle's own writes (source `git-sync`) are ignored, or every
 * cycle that imports a push would schedule the next one forever.
 */
@Injectable()
export class PageEditTrigger implements OnModuleInit, OnModuleDestroy {
  #unsubscribe: (() => void) | undefined;

  constructor(
    @Inject(PageStore) private readonly pages: PageStore,
    @Inject(GitSyncOrchestrator) private readonly orchestrator: GitSyncOrchestrator,
  ) {}

  onModuleInit(): void {
    this.#unsubscribe = this.pages.onPageWrite((event) => {
      if (event.source === 'user') this.orchestrator.schedule(event.spaceId);
    });
  }

  onModuleDestroy(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}

import { Body, Get, HttpCode, Inject, Post } from '@nestjs/common';
import { GuardedCycleRunner } from '../orchestrator/guarded-cycle-runner';
import type { GitSyncStatus, RunOnceResult, SpaceSyncRecord } from '../orchestrator/cycle-status';
import { GitSyncOrchestrator } from '../orchestrator/git-sync.orchestrator';
import { ConflictStore } from '../pages/conflict-store';
import { PageStore } from '../pages/page-store';
import { ApiController } from './api-controller.decorator';
import { triggerBody, type TriggerBody } from './git-sync.schemas';
import { body } from './zod-validation.pipe';
import { ApiDoc } from './openapi/api-doc.decorator';
import { gitSyncStatusResponse, runOnceResultResponse } from './responses.schemas';

export interface GitSyncStatusResponse extends Omit<GitSyncStatus, 'spaces'> {
  /** The last result per space, with the space's open conflicts. */
  spaces: ReadonlyArray<SpaceSyncRecord & { openConflicts: number }>;
  /** Cycles this process found another live cycle in the same working tree: always 0 unless the lock failed. */
  workTreeOverlaps: number;
}

// Admins only: no @Access rule means the guard's default.
@ApiController('api/git-sync')
export class GitSyncController {
  constructor(
    @Inject(GitSyncOrchestrator) private readonly orchestrator: GitSyncOrchestrator,
    @Inject(GuardedCycleRunner) private readonly runner: GuardedCycleRunner,
    @Inject(PageStore) private readonly pages: PageStore,
    @Inject(ConflictStore) private readonly conflicts: ConflictStore,
  ) {}

  /** Runs one cycle now. Whatever happens to the cycle is in the 200's body; runOnce never throws. */
  @ApiDoc({ summary: 'Run one cycle of a space now; the outcome is in the body', response: runOnceResultResponse })
  @Post('trigger')
  @HttpCode(200)
  async trigger(@Body(body(triggerBody)) { spaceId }: TriggerBody): Promise<RunOnceResult> {
    // Unlike the git host, the admin API may say a space does not exist; a
    // typo'd id answered with 'space-not-enabled' would send people looking at settings.
    await this.pages.requireSpace(spaceId);
    return this.orchestrator.runOnce(spaceId);
  }

  @ApiDoc({
    summary: 'The configuration, the last result per space with its open conflicts, and work-tree overlaps',
    response: gitSyncStatusResponse,
  })
  @Get('status')
  async status(): Promise<GitSyncStatusResponse> {
    const status = this.orchestrator.getStatus();
    const open = await this.conflicts.countOpen(status.spaces.map((s) => s.result.spaceId));
    const spaces = status.spaces.map((s) => ({ ...s, openConflicts: open.get(s.result.spaceId) ?? 0 }));
    return { ...status, spaces, workTreeOverlaps: this.runner.overlapCount };
  }
}

import { Body, Delete, Get, HttpCode, Inject, Param, Post, Put } from '@nestjs/common';
import { AccountStore, type User } from '../accounts';
import { GitSyncOrchestrator } from '../orchestrator/git-sync.orchestrator';
import { PageStore } from '../pages/page-store';
import { SpaceTrash } from '../vault/space-trash';
import type { Space } from '../pages/page-store.types';
import { ApiController } from './api-controller.decorator';
import { Access, Principal } from './auth';
import { spaceParams, type SpaceParams } from './common.schemas';
import { createSpaceBody, setGitSyncBody, type CreateSpaceBody, type SetGitSyncBody } from './spaces.schemas';
import { body, params } from './zod-validation.pipe';
import { ApiDoc } from './openapi/api-doc.decorator';
import { spaceResponse } from './responses.schemas';
import { z } from 'zod';

@ApiController('api/spaces')
export class SpacesController {
  constructor(
    @Inject(PageStore) private readonly pages: PageStore,
    @Inject(GitSyncOrchestrator) private readonly orchestrator: GitSyncOrchestrator,
    @Inject(AccountStore) private readonly accounts: AccountStore,
    @Inject(SpaceTrash) private readonly trash: SpaceTrash,
  ) {}

  /** Creates the space and, when it syncs, its repository, so that clones never wait for a lock. */
  @ApiDoc({
    summary: 'Create a space; a syncing one gets its git repository before the answer',
    response: spaceResponse,
  })
  @Post()
  @HttpCode(201)
  async create(@Body(body(createSpaceBody)) input: CreateSpaceBody): Promise<Space> {
    const space = await this.pages.createSpace({ name: input.name, gitSyncEnabled: input.gitSyncEnabled });
    if (space.gitSyncEnabled) await this.orchestrator.provision(space.id);
    return space;
  }

  /** Every space for an admin; a member sees the spaces they belong to. */
  @ApiDoc({ summary: 'The spaces the caller may read: every space for an admin', response: z.array(spaceResponse) })
  @Get()
  @Access('user')
  async list(@Principal() user: User): Promise<Space[]> {
    const spaces = await this.pages.listSpaces();
    if (user.admin) return spaces;
    const mine = new Set(await this.accounts.listSpaceIds(user.id));
    return spaces.filter((space) => mine.has(space.id));
  }

  @ApiDoc({ summary: 'A space', response: spaceResponse })
  @Get(':spaceId')
  @Access({ space: 'read' })
  get(@Param(params(spaceParams)) { spaceId }: SpaceParams): Promise<Space> {
    return this.pages.requireSpace(spaceId);
  }

  @ApiDoc({ summary: 'Turn git-sync on or off for a space', response: spaceResponse })
  @Put(':spaceId/git-sync')
  async setGitSync(
    @Param(params(spaceParams)) { spaceId }: SpaceParams,
    @Body(body(setGitSyncBody)) input: SetGitSyncBody,
  ): Promise<Space> {
    const space = await this.pages.setGitSyncEnabled(spaceId, input.enabled);
    if (space.gitSyncEnabled) await this.orchestrator.provision(space.id);
    return space;
  }

  /**
   * Under the space's lock, so no cycle or push is in its vault: the vault
   * moves to the trash folder of the data directory, and the space and its
   * pages are soft-deleted. Both are undone by `restore`.
   */
  @ApiDoc({ summary: 'Delete a space: its vault moves to the trash, it and its pages are soft-deleted' })
  @Delete(':spaceId')
  @HttpCode(204)
  async remove(@Param(params(spaceParams)) { spaceId }: SpaceParams): Promise<void> {
    await this.pages.requireSpace(spaceId);
    await this.orchestrator.runExclusive(spaceId, async () => {
      const trashed = await this.trash.put(spaceId);
      try {
        await this.pages.deleteSpace(spaceId);
      } catch (err) {
        // Deleted is both or neither: a live space keeps its vault.
        if (trashed) await this.trash.takeBack(spaceId);
        throw err;
      }
    });
  }

  /** Brings back a deleted space, its vault and the pages deleted with it (not those deleted before). */
  @ApiDoc({ summary: 'Restore a deleted space, its vault and the pages deleted with it', response: spaceResponse })
  @Post(':spaceId/restore')
  @HttpCode(200)
  async restore(@Param(params(spaceParams)) { spaceId }: SpaceParams): Promise<Space> {
    const space = await this.orchestrator.runExclusive(spaceId, async () => {
      const back = await this.trash.takeBack(spaceId);
      try {
        return await this.pages.restoreSpace(spaceId);
      } catch (err) {
        if (back) await this.trash.put(spaceId);
        throw err;
      }
    });
    // A space deleted before its first cycle had no vault to bring back.
    if (space.gitSyncEnabled) await this.orchestrator.provision(space.id);
    return space;
  }
}

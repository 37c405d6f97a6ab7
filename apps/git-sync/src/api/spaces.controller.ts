import { Body, Controller, Get, HttpCode, Inject, Param, Post, Put, UseFilters } from '@nestjs/common';
import { GitSyncOrchestrator } from '../orchestrator/git-sync.orchestrator';
import { PageStore } from '../pages/page-store';
import type { Space } from '../pages/page-store.types';
import { ApiExceptionFilter } from './api-exception.filter';
import { spaceParams, type SpaceParams } from './common.schemas';
import { createSpaceBody, setGitSyncBody, type CreateSpaceBody, type SetGitSyncBody } from './spaces.schemas';
import { body, params } from './zod-validation.pipe';

@Controller('api/spaces')
@UseFilters(ApiExceptionFilter)
export class SpacesController {
  constructor(
    @Inject(PageStore) private readonly pages: PageStore,
    @Inject(GitSyncOrchestrator) private readonly orchestrator: GitSyncOrchestrator,
  ) {}

  /** Creates the space and, when it syncs, its repository, so that clones never wait for a lock. */
  @Post()
  @HttpCode(201)
  async create(@Body(body(createSpaceBody)) input: CreateSpaceBody): Promise<Space> {
    const space = await this.pages.createSpace({ name: input.name, gitSyncEnabled: input.gitSyncEnabled });
    if (space.gitSyncEnabled) await this.orchestrator.provision(space.id);
    return space;
  }

  @Get()
  list(): Promise<Space[]> {
    return this.pages.listSpaces();
  }

  @Get(':spaceId')
  get(@Param(params(spaceParams)) { spaceId }: SpaceParams): Promise<Space> {
    return this.pages.requireSpace(spaceId);
  }

  @Put(':spaceId/git-sync')
  async setGitSync(
    @Param(params(spaceParams)) { spaceId }: SpaceParams,
    @Body(body(setGitSyncBody)) input: SetGitSyncBody,
  ): Promise<Space> {
    const space = await this.pages.setGitSyncEnabled(spaceId, input.enabled);
    if (space.gitSyncEnabled) await this.orchestrator.provision(space.id);
    return space;
  }
}

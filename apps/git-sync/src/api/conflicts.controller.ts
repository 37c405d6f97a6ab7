import { Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { type Conflict, ConflictStore } from '../pages/conflict-store';
import { PageStore } from '../pages/page-store';
import { ApiController } from './api-controller.decorator';
import { Access } from './auth';
import { spaceParams, type SpaceParams } from './common.schemas';
import { conflictListQuery, conflictParams, type ConflictListQuery, type ConflictParams } from './conflicts.schemas';
import { params, query } from './zod-validation.pipe';
import { ApiDoc } from './openapi/api-doc.decorator';
import { conflictResponse } from './responses.schemas';
import { z } from 'zod';

/** The wiki's side of every hunk a merge gave to git, until someone has looked at it. */
@ApiController('api/spaces/:spaceId/conflicts')
// Conflict records hold page text, so they are as private as the pages.
@Access({ space: 'read' })
export class ConflictsController {
  constructor(
    @Inject(ConflictStore) private readonly conflicts: ConflictStore,
    @Inject(PageStore) private readonly pages: PageStore,
  ) {}

  @ApiDoc({
    summary: 'Merge conflicts, newest first: open ones, or all with `status=all`',
    response: z.array(conflictResponse),
  })
  @Get()
  async list(
    @Param(params(spaceParams)) { spaceId }: SpaceParams,
    @Query(query(conflictListQuery)) { status }: ConflictListQuery,
  ): Promise<Conflict[]> {
    await this.pages.requireSpace(spaceId);
    return this.conflicts.list(spaceId, { includeDismissed: status === 'all' });
  }

  @ApiDoc({ summary: 'Dismiss a conflict record', response: conflictResponse })
  @Post(':conflictId/dismiss')
  @HttpCode(200)
  @Access({ space: 'write' })
  async dismiss(@Param(params(conflictParams)) { spaceId, conflictId }: ConflictParams): Promise<Conflict> {
    await this.pages.requireSpace(spaceId);
    return this.conflicts.dismiss(spaceId, conflictId);
  }
}

import { Body, Delete, Get, Headers, HttpCode, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PageNotFoundError } from '../pages/page-not-found.error';
import { PageStore } from '../pages/page-store';
import type { DeletedPageNode, Page, PageNode } from '../pages/page-store.types';
import { ApiController } from './api-controller.decorator';
import { Access } from './auth';
import { expectedRevision, pageEtag } from './page-etag';
import { spaceParams, type SpaceParams } from './common.schemas';
import {
  createPageBody,
  movePageBody,
  pageListQuery,
  pageParams,
  updatePageBody,
  type CreatePageBody,
  type MovePageBody,
  type PageListQuery,
  type PageParams,
  type UpdatePageBody,
} from './pages.schemas';
import { body, params, query } from './zod-validation.pipe';
import { ApiDoc } from './openapi/api-doc.decorator';
import { pageNodeResponse, pageResponse } from './responses.schemas';
import { z } from 'zod';

// Every write here is a person's edit: that source is what schedules the debounced sync.
const SOURCE = 'user';

@ApiController('api/spaces/:spaceId/pages')
@Access({ space: 'read' })
export class PagesController {
  constructor(@Inject(PageStore) private readonly pages: PageStore) {}

  @ApiDoc({ summary: 'Create a page', response: pageResponse })
  @Post()
  @HttpCode(201)
  @Access({ space: 'write' })
  create(
    @Param(params(spaceParams)) { spaceId }: SpaceParams,
    @Body(body(createPageBody)) input: CreatePageBody,
  ): Promise<Page> {
    return this.pages.createPage(spaceId, input, SOURCE);
  }

  @ApiDoc({
    summary:
      "The space's page tree, without content; with `deleted=true`, its deleted pages instead, each with `deletedAt`",
    response: z.array(pageNodeResponse.extend({ deletedAt: z.string().datetime().optional() })),
  })
  @Get()
  async tree(
    @Param(params(spaceParams)) { spaceId }: SpaceParams,
    @Query(query(pageListQuery)) { deleted }: PageListQuery,
  ): Promise<PageNode[] | DeletedPageNode[]> {
    // An unknown space has no tree; an empty one does.
    await this.pages.requireSpace(spaceId);
    return deleted ? this.pages.listDeleted(spaceId) : this.pages.listTree(spaceId);
  }

  /** The page is live again, at its revision + 1; the debounced sync puts its file back in git. */
  @ApiDoc({ summary: 'Restore a deleted page; it comes back to git on the next cycle', response: pageResponse })
  @Post(':pageId/restore')
  @HttpCode(200)
  @Access({ space: 'write' })
  async restore(
    @Param(params(pageParams)) { spaceId, pageId }: PageParams,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Page> {
    await this.pages.requireSpace(spaceId);
    return tagged(reply, await this.pages.restore(spaceId, pageId, SOURCE));
  }

  @ApiDoc({ summary: 'A page, with its revision as ETag', response: pageResponse, revisioned: true })
  @Get(':pageId')
  async get(
    @Param(params(pageParams)) { spaceId, pageId }: PageParams,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Page> {
    await this.pages.requireSpace(spaceId);
    const page = await this.pages.getPage(spaceId, pageId);
    // The store keeps soft-deleted pages; to the API they are gone.
    if (!page || page.deletedAt !== null) throw new PageNotFoundError(spaceId, pageId);
    return tagged(reply, page);
  }

  /** With `If-Match`, only if the page is still at that revision (412 otherwise); without it, last write wins. */
  @ApiDoc({ summary: 'Change the title or content of a page', response: pageResponse, revisioned: true })
  @Patch(':pageId')
  @Access({ space: 'write' })
  async update(
    @Param(params(pageParams)) { spaceId, pageId }: PageParams,
    @Body(body(updatePageBody)) input: UpdatePageBody,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Page> {
    const revision = expectedRevision(ifMatch);
    await this.pages.requireSpace(spaceId);
    return tagged(reply, await this.pages.updatePage(spaceId, pageId, input, SOURCE, { expectedRevision: revision }));
  }

  @ApiDoc({ summary: 'Move a page under another parent, or to the root', response: pageResponse, revisioned: true })
  @Post(':pageId/move')
  @HttpCode(200)
  @Access({ space: 'write' })
  async move(
    @Param(params(pageParams)) { spaceId, pageId }: PageParams,
    @Body(body(movePageBody)) input: MovePageBody,
    @Headers('if-match') ifMatch: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Page> {
    const revision = expectedRevision(ifMatch);
    await this.pages.requireSpace(spaceId);
    return tagged(
      reply,
      await this.pages.move(spaceId, pageId, input.parentPageId, SOURCE, input.position, {
        expectedRevision: revision,
      }),
    );
  }

  @ApiDoc({ summary: 'Delete a page (soft: it can be restored)', revisioned: true })
  @Delete(':pageId')
  @HttpCode(204)
  @Access({ space: 'write' })
  async remove(
    @Param(params(pageParams)) { spaceId, pageId }: PageParams,
    @Headers('if-match') ifMatch: string | undefined,
  ): Promise<void> {
    const revision = expectedRevision(ifMatch);
    await this.pages.requireSpace(spaceId);
    await this.pages.softDelete(spaceId, pageId, SOURCE, { expectedRevision: revision });
  }
}

function tagged(reply: FastifyReply, page: Page): Page {
  void reply.header('etag', pageEtag(page.revision));
  return page;
}

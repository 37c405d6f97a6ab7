import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, UseFilters, UseGuards } from '@nestjs/common';
import { PageNotFoundError } from '../pages/page-not-found.error';
import { PageStore } from '../pages/page-store';
import type { Page, PageNode } from '../pages/page-store.types';
import { ApiExceptionFilter } from './api-exception.filter';
import { Access, ApiAuthGuard } from './auth';
import { spaceParams, type SpaceParams } from './common.schemas';
import {
  createPageBody,
  movePageBody,
  pageParams,
  updatePageBody,
  type CreatePageBody,
  type MovePageBody,
  type PageParams,
  type UpdatePageBody,
} from './pages.schemas';
import { body, params } from './zod-validation.pipe';

// Every write here is a person's edit: that source is what schedules the debounced sync.
const SOURCE = 'user';

@Controller('api/spaces/:spaceId/pages')
@UseFilters(ApiExceptionFilter)
@UseGuards(ApiAuthGuard)
@Access({ space: 'read' })
export class PagesController {
  constructor(@Inject(PageStore) private readonly pages: PageStore) {}

  @Post()
  @HttpCode(201)
  @Access({ space: 'write' })
  create(@Param(params(spaceParams)) { spaceId }: SpaceParams, @Body(body(createPageBody)) input: CreatePageBody): Promise<Page> {
    return this.pages.createPage(spaceId, input, SOURCE);
  }

  @Get()
  async tree(@Param(params(spaceParams)) { spaceId }: SpaceParams): Promise<PageNode[]> {
    // An unknown space has no tree; an empty one does.
    await this.pages.requireSpace(spaceId);
    return this.pages.listTree(spaceId);
  }

  @Get(':pageId')
  async get(@Param(params(pageParams)) { spaceId, pageId }: PageParams): Promise<Page> {
    await this.pages.requireSpace(spaceId);
    const page = await this.pages.getPage(spaceId, pageId);
    // The store keeps soft-deleted pages; to the API they are gone.
    if (!page || page.deletedAt !== null) throw new PageNotFoundError(spaceId, pageId);
    return page;
  }

  @Patch(':pageId')
  @Access({ space: 'write' })
  async update(@Param(params(pageParams)) { spaceId, pageId }: PageParams, @Body(body(updatePageBody)) input: UpdatePageBody): Promise<Page> {
    await this.pages.requireSpace(spaceId);
    let page: Page | undefined;
    if (input.content !== undefined) page = await this.pages.updateContent(spaceId, pageId, input.content, SOURCE);
    if (input.title !== undefined) page = await this.pages.rename(spaceId, pageId, input.title, SOURCE);
    // The schema guarantees at least one of the two writes ran.
    return page as Page;
  }

  @Post(':pageId/move')
  @HttpCode(200)
  @Access({ space: 'write' })
  async move(@Param(params(pageParams)) { spaceId, pageId }: PageParams, @Body(body(movePageBody)) input: MovePageBody): Promise<Page> {
    await this.pages.requireSpace(spaceId);
    return this.pages.move(spaceId, pageId, input.parentPageId, SOURCE, input.position);
  }

  @Delete(':pageId')
  @HttpCode(204)
  @Access({ space: 'write' })
  async remove(@Param(params(pageParams)) { spaceId, pageId }: PageParams): Promise<void> {
    await this.pages.requireSpace(spaceId);
    await this.pages.softDelete(spaceId, pageId, SOURCE);
  }
}

import { Body, Delete, Get, HttpCode, Inject, Param, Put } from '@nestjs/common';
import { AccountStore, type Membership } from '../accounts';
import { PageStore } from '../pages/page-store';
import { ApiController } from './api-controller.decorator';
import { spaceParams, type SpaceParams } from './common.schemas';
import { memberParams, setMemberBody, type MemberParams, type SetMemberBody } from './members.schemas';
import { MembershipNotFoundError } from './membership-not-found.error';
import { body, params } from './zod-validation.pipe';
import { ApiDoc } from './openapi/api-doc.decorator';
import { membershipResponse } from './responses.schemas';
import { z } from 'zod';

// Admins only: no @Access rule means the guard's default.
@ApiController('api/spaces/:spaceId/members')
export class MembersController {
  constructor(
    @Inject(PageStore) private readonly pages: PageStore,
    @Inject(AccountStore) private readonly accounts: AccountStore,
  ) {}

  @ApiDoc({ summary: "The space's members", response: z.array(membershipResponse) })
  @Get()
  async list(@Param(params(spaceParams)) { spaceId }: SpaceParams): Promise<Membership[]> {
    await this.pages.requireSpace(spaceId);
    return this.accounts.listMembers(spaceId);
  }

  /** Adds the member or changes their role; answers with the membership as stored. */
  @ApiDoc({ summary: 'Add a member, or change their role', response: membershipResponse })
  @Put(':userId')
  async set(
    @Param(params(memberParams)) { spaceId, userId }: MemberParams,
    @Body(body(setMemberBody)) input: SetMemberBody,
  ): Promise<Membership> {
    // Checked here so an unknown space is a 404, not a foreign-key failure.
    await this.pages.requireSpace(spaceId);
    await this.accounts.setMembership(spaceId, userId, input.role);
    const member = (await this.accounts.listMembers(spaceId)).find((m) => m.userId === userId);
    if (!member) throw new MembershipNotFoundError(spaceId, userId);
    return member;
  }

  @ApiDoc({ summary: 'Remove a member' })
  @Delete(':userId')
  @HttpCode(204)
  async remove(@Param(params(memberParams)) { spaceId, userId }: MemberParams): Promise<void> {
    await this.pages.requireSpace(spaceId);
    if (!(await this.accounts.removeMembership(spaceId, userId))) throw new MembershipNotFoundError(spaceId, userId);
  }
}

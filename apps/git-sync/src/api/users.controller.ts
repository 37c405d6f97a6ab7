import { Body, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { AccountStore, type AccessTokenInfo, type User } from '../accounts';
import { AccessTokenNotFoundError } from './access-token-not-found.error';
import { ApiController } from './api-controller.decorator';
import { Access, Principal } from './auth';
import {
  createUserBody,
  issueTokenBody,
  tokenParams,
  updateUserBody,
  userParams,
  type CreateUserBody,
  type IssueTokenBody,
  type TokenParams,
  type UpdateUserBody,
  type UserParams,
} from './users.schemas';
import { body, params } from './zod-validation.pipe';
import { ApiDoc } from './openapi/api-doc.decorator';
import { accessTokenInfoResponse, issuedTokenResponse, userResponse } from './responses.schemas';
import { z } from 'zod';

export interface IssuedTokenResponse {
  id: string;
  name: string;
  /** Shown this once: only its hash is stored. */
  token: string;
  /** Present when the token expires. */
  expiresAt?: Date;
}

/** Users and their tokens: admins manage them; a user lists and revokes their own tokens. */
@ApiController('api/users')
export class UsersController {
  constructor(@Inject(AccountStore) private readonly accounts: AccountStore) {}

  @ApiDoc({ summary: 'Create a user', response: userResponse, errors: [409] })
  @Post()
  @HttpCode(201)
  create(@Body(body(createUserBody)) input: CreateUserBody): Promise<User> {
    return this.accounts.createUser(input.username);
  }

  @ApiDoc({ summary: 'Every user', response: z.array(userResponse) })
  @Get()
  list(): Promise<User[]> {
    return this.accounts.listUsers();
  }

  /** Who the token belongs to: how a member finds their own id. */
  @ApiDoc({ summary: 'The user the token belongs to', response: userResponse })
  @Get('me')
  @Access('user')
  me(@Principal() user: User): User {
    return user;
  }

  /** Grants or withdraws admin; the last admin cannot be demoted (409). */
  @ApiDoc({
    summary: 'Grant or withdraw admin; the last admin cannot be demoted',
    response: userResponse,
    errors: [409],
  })
  @Patch(':userId')
  update(
    @Param(params(userParams)) { userId }: UserParams,
    @Body(body(updateUserBody)) input: UpdateUserBody,
  ): Promise<User> {
    return this.accounts.setAdmin(userId, input.admin);
  }

  /** Revokes the user's tokens and removes them from every space; the last admin cannot be deleted (409). */
  @ApiDoc({ summary: 'Delete a user and revoke their tokens; the last admin cannot be deleted', errors: [409] })
  @Delete(':userId')
  @HttpCode(204)
  async remove(@Param(params(userParams)) { userId }: UserParams): Promise<void> {
    await this.accounts.deleteUser(userId);
  }

  @ApiDoc({ summary: 'Issue a token; its secret is in this answer only', response: issuedTokenResponse })
  @Post(':userId/tokens')
  @HttpCode(201)
  async issueToken(
    @Param(params(userParams)) { userId }: UserParams,
    @Body(body(issueTokenBody)) input: IssueTokenBody,
  ): Promise<IssuedTokenResponse> {
    const issued = await this.accounts.issueToken(userId, input.name, input.expiresAt ?? null);
    return {
      id: issued.id,
      name: issued.name,
      token: issued.token,
      ...(issued.expiresAt ? { expiresAt: issued.expiresAt } : {}),
    };
  }

  /** The user's live and expired tokens, never their secrets. */
  @ApiDoc({ summary: "The user's tokens, never their secrets", response: z.array(accessTokenInfoResponse) })
  @Get(':userId/tokens')
  @Access('self')
  listTokens(@Param(params(userParams)) { userId }: UserParams): Promise<AccessTokenInfo[]> {
    return this.accounts.listTokens(userId);
  }

  @ApiDoc({ summary: 'Revoke a token' })
  @Delete(':userId/tokens/:tokenId')
  @HttpCode(204)
  @Access('self')
  async revokeToken(@Param(params(tokenParams)) { userId, tokenId }: TokenParams): Promise<void> {
    if (!(await this.accounts.revokeToken(userId, tokenId))) throw new AccessTokenNotFoundError(userId, tokenId);
  }
}

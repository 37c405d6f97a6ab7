import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, UseFilters, UseGuards } from '@nestjs/common';
import { AccountStore, type AccessTokenInfo, type User } from '../accounts';
import { AccessTokenNotFoundError } from './access-token-not-found.error';
import { ApiExceptionFilter } from './api-exception.filter';
import { Access, ApiAuthGuard, Principal } from './auth';
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

export interface IssuedTokenResponse {
  id: string;
  name: string;
  /** Shown this once: only its hash is stored. */
  token: string;
  /** Present when the token expires. */
  expiresAt?: Date;
}

/** Users and their tokens: admins manage them; a user lists and revokes their own tokens. */
@Controller('api/users')
@UseFilters(ApiExceptionFilter)
@UseGuards(ApiAuthGuard)
export class UsersController {
  constructor(@Inject(AccountStore) private readonly accounts: AccountStore) {}

  @Post()
  @HttpCode(201)
  create(@Body(body(createUserBody)) input: CreateUserBody): Promise<User> {
    return this.accounts.createUser(input.username);
  }

  @Get()
  list(): Promise<User[]> {
    return this.accounts.listUsers();
  }

  /** Who the token belongs to: how a member finds their own id. */
  @Get('me')
  @Access('user')
  me(@Principal() user: User): User {
    return user;
  }

  /** Grants or withdraws admin; the last admin cannot be demoted (409). */
  @Patch(':userId')
  update(@Param(params(userParams)) { userId }: UserParams, @Body(body(updateUserBody)) input: UpdateUserBody): Promise<User> {
    return this.accounts.setAdmin(userId, input.admin);
  }

  /** Revokes the user's tokens and removes them from every space; the last admin cannot be deleted (409). */
  @Delete(':userId')
  @HttpCode(204)
  async remove(@Param(params(userParams)) { userId }: UserParams): Promise<void> {
    await this.accounts.deleteUser(userId);
  }

  @Post(':userId/tokens')
  @HttpCode(201)
  async issueToken(@Param(params(userParams)) { userId }: UserParams, @Body(body(issueTokenBody)) input: IssueTokenBody): Promise<IssuedTokenResponse> {
    const issued = await this.accounts.issueToken(userId, input.name, input.expiresAt ?? null);
    return { id: issued.id, name: issued.name, token: issued.token, ...(issued.expiresAt ? { expiresAt: issued.expiresAt } : {}) };
  }

  /** The user's live and expired tokens, never their secrets. */
  @Get(':userId/tokens')
  @Access('self')
  listTokens(@Param(params(userParams)) { userId }: UserParams): Promise<AccessTokenInfo[]> {
    return this.accounts.listTokens(userId);
  }

  @Delete(':userId/tokens/:tokenId')
  @HttpCode(204)
  @Access('self')
  async revokeToken(@Param(params(tokenParams)) { userId, tokenId }: TokenParams): Promise<void> {
    if (!(await this.accounts.revokeToken(userId, tokenId))) throw new AccessTokenNotFoundError(userId, tokenId);
  }
}

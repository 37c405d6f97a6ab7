import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, UseFilters } from '@nestjs/common';
import { AccountStore, type User } from '../accounts';
import { AccessTokenNotFoundError } from './access-token-not-found.error';
import { ApiExceptionFilter } from './api-exception.filter';
import {
  createUserBody,
  issueTokenBody,
  tokenParams,
  userParams,
  type CreateUserBody,
  type IssueTokenBody,
  type TokenParams,
  type UserParams,
} from './users.schemas';
import { body, params } from './zod-validation.pipe';

export interface IssuedTokenResponse {
  id: string;
  name: string;
  /** Shown this once: only its hash is stored. */
  token: string;
}

@Controller('api/users')
@UseFilters(ApiExceptionFilter)
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

  @Post(':userId/tokens')
  @HttpCode(201)
  async issueToken(@Param(params(userParams)) { userId }: UserParams, @Body(body(issueTokenBody)) input: IssueTokenBody): Promise<IssuedTokenResponse> {
    const issued = await this.accounts.issueToken(userId, input.name);
    return { id: issued.id, name: issued.name, token: issued.token };
  }

  @Delete(':userId/tokens/:tokenId')
  @HttpCode(204)
  async revokeToken(@Param(params(tokenParams)) { userId, tokenId }: TokenParams): Promise<void> {
    if (!(await this.accounts.revokeToken(userId, tokenId))) throw new AccessTokenNotFoundError(userId, tokenId);
  }
}

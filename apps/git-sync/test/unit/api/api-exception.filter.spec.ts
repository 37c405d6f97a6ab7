import 'reflect-metadata';
import type { ArgumentsHost } from '@nestjs/common';
import { NotFoundException } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { UserNotFoundError, UsernameTakenError } from '../../../src/accounts';
import { AccessTokenNotFoundError } from '../../../src/api/access-token-not-found.error';
import { ApiExceptionFilter, toApiError } from '../../../src/api/api-exception.filter';
import { MembershipNotFoundError } from '../../../src/api/membership-not-found.error';
import { RequestValidationError } from '../../../src/api/request-validation.error';
import { InvalidPageParentError, InvalidSpaceIdError, PageNotFoundError, SpaceNotFoundError } from '../../../src/pages';
import { anyString, stringContaining } from '../../support/matchers';

const SPACE = '11111111-1111-4111-8111-111111111111';
const PAGE = '22222222-2222-4222-8222-222222222222';

describe('toApiError', () => {
  it.each([
    ['SpaceNotFoundError', new SpaceNotFoundError(SPACE)],
    ['PageNotFoundError', new PageNotFoundError(SPACE, PAGE)],
    ['UserNotFoundError', new UserNotFoundError(PAGE)],
    ['AccessTokenNotFoundError', new AccessTokenNotFoundError(SPACE, PAGE)],
    ['MembershipNotFoundError', new MembershipNotFoundError(SPACE, PAGE)],
  ])('maps %s to 404 with its message', (_name, err) => {
    expect(toApiError(err)).toEqual({ statusCode: 404, error: 'Not Found', message: err.message });
  });

  it('maps a taken username to 409', () => {
    expect(toApiError(new UsernameTakenError('ada'))).toMatchObject({
      statusCode: 409,
      error: 'Conflict',
      message: stringContaining('ada'),
    });
  });

  it('maps an invalid parent to 400 on parentPageId', () => {
    const body = toApiError(new InvalidPageParentError(SPACE, PAGE, SPACE, 'cycle'));
    expect(body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      issues: [{ field: 'parentPageId', message: anyString() }],
    });
    expect(body?.message).toMatch(/^parentPageId: /);
  });

  it('maps a malformed space id that got past validation to 400 on spaceId', () => {
    expect(toApiError(new InvalidSpaceIdError('x'))).toMatchObject({
      statusCode: 400,
      issues: [{ field: 'spaceId', message: 'must be a UUID' }],
    });
  });

  it('keeps the body of a validation error as built', () => {
    const err = new RequestValidationError([{ field: 'title', message: 'Required' }]);
    expect(toApiError(err)).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'title: Required',
      issues: [{ field: 'title', message: 'Required' }],
    });
  });

  it('leaves unknown errors unmapped', () => {
    expect(toApiError(new Error('boom'))).toBeUndefined();
    expect(toApiError('string thrown')).toBeUndefined();
  });
});

describe('ApiExceptionFilter', () => {
  function harness() {
    const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
    const reply = {
      status(code: number) {
        sent.status = code;
        return reply;
      },
      header(name: string, value: string) {
        sent.headers[name] = value;
        return reply;
      },
      send(body: unknown) {
        sent.body = body;
        return reply;
      },
    };
    const host = {
      switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ method: 'POST', url: '/api/spaces' }) }),
    } as unknown as ArgumentsHost;
    const logged: unknown[][] = [];
    const logger = { error: (...args: unknown[]) => logged.push(args) } as unknown as PinoLogger;
    return { filter: new ApiExceptionFilter(logger), host, sent, logged };
  }

  it('answers an unexpected error with a generic 500, logging the error itself', () => {
    const { filter, host, sent, logged } = harness();
    const err = new Error('relation "spaces" does not exist at /srv/secret/path');
    filter.catch(err, host);
    expect(sent.status).toBe(500);
    expect(sent.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(JSON.stringify(sent.body)).not.toContain('secret');
    expect(logged).toHaveLength(1);
    expect(logged[0][0]).toMatchObject({ err, method: 'POST', url: '/api/spaces' });
  });

  it('answers a domain error with its mapping as JSON, without logging it', () => {
    const { filter, host, sent, logged } = harness();
    filter.catch(new SpaceNotFoundError(SPACE), host);
    expect(sent.status).toBe(404);
    expect(sent.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect(sent.headers['content-type']).toMatch(/^application\/json/);
    expect(logged).toHaveLength(0);
  });

  it('passes Nest HTTP exceptions through', () => {
    const { filter, host, sent } = harness();
    filter.catch(new NotFoundException('no such route'), host);
    expect(sent.status).toBe(404);
    expect(sent.body).toMatchObject({ statusCode: 404, message: 'no such route' });
  });
});

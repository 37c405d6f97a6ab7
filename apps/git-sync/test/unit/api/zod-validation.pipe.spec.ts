import 'reflect-metadata';
import { z } from 'zod';
import { createPageBody, movePageBody, updatePageBody } from '../../../src/api/pages.schemas';
import { RequestValidationError } from '../../../src/api/request-validation.error';
import { ZodValidationPipe } from '../../../src/api/zod-validation.pipe';
import { memberParams, setMemberBody } from '../../../src/api/members.schemas';

function rejection(pipe: ZodValidationPipe<z.ZodTypeAny>, value: unknown) {
  try {
    pipe.transform(value);
  } catch (err) {
    expect(err).toBeInstanceOf(RequestValidationError);
    return (err as RequestValidationError).getResponse() as {
      statusCode: number;
      error: string;
      message: string;
      issues: { field: string; message: string }[];
    };
  }
  throw new Error('expected the pipe to reject');
}

describe('ZodValidationPipe', () => {
  it('returns the parsed value, with defaults and types from the schema', () => {
    const pipe = new ZodValidationPipe(z.object({ n: z.number().default(3) }));
    expect(pipe.transform({})).toEqual({ n: 3 });
  });

  it('names each failing field in the issues and in the message', () => {
    const body = rejection(new ZodValidationPipe(createPageBody), { content: 5, position: -2 });
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(body.issues).toEqual(
      expect.arrayContaining([
        { field: 'title', message: 'Required' },
        { field: 'content', message: 'Expected string, received number' },
        { field: 'position', message: 'must be at least 0' },
      ]),
    );
    expect(body.message).toContain('title: Required');
    expect(body.message).toContain('position: must be at least 0');
  });

  it('reports every unknown field by name', () => {
    const body = rejection(new ZodValidationPipe(movePageBody), { parentPageId: null, a: 1, b: 2 });
    expect(body.issues).toEqual([
      { field: 'a', message: 'is not an allowed field' },
      { field: 'b', message: 'is not an allowed field' },
    ]);
  });

  it('names the whole value by its root when it is not an object at all', () => {
    expect(rejection(new ZodValidationPipe(updatePageBody, 'body'), undefined).issues).toEqual([
      { field: 'body', message: 'Required' },
    ]);
    expect(rejection(new ZodValidationPipe(updatePageBody, 'body'), {}).issues).toEqual([
      { field: 'body', message: 'must set title, content or both' },
    ]);
  });

  it('names path parameters after themselves', () => {
    const body = rejection(new ZodValidationPipe(memberParams, 'params'), { spaceId: 'x', userId: '../etc' });
    expect(body.issues).toEqual([
      { field: 'spaceId', message: 'must be a UUID' },
      { field: 'userId', message: 'must be a UUID' },
    ]);
  });

  it('says which roles exist, and that a missing role is required', () => {
    const pipe = new ZodValidationPipe(setMemberBody);
    expect(rejection(pipe, { role: 'owner' }).issues).toEqual([
      { field: 'role', message: "must be 'read' or 'write'" },
    ]);
    expect(rejection(pipe, {}).issues).toEqual([{ field: 'role', message: 'Required' }]);
  });
});

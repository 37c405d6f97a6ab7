import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestLogLevel } from '../../../src/app.module';
import { FrameworkQuietLogger } from '../../../src/app/framework-quiet-logger';
import { resolveLogFormat } from '../../../src/app/logger';

const req = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;
const res = (statusCode: number) => ({ statusCode }) as ServerResponse;

describe('request log levels', () => {
  it("puts git's unauthenticated first ask at debug, and a refused credential at warn", () => {
    expect(requestLogLevel(req(), res(401))).toBe('debug');
    expect(requestLogLevel(req({ authorization: 'Basic eDp5' }), res(401))).toBe('warn');
    expect(requestLogLevel(req(), res(404))).toBe('warn');
    expect(requestLogLevel(req(), res(503))).toBe('warn');
    expect(requestLogLevel(req(), res(500))).toBe('error');
    expect(requestLogLevel(req(), res(200), new Error('x'))).toBe('error');
    expect(requestLogLevel(req(), res(200))).toBe('debug');
  });
});

describe('FrameworkQuietLogger', () => {
  it("sends Nest's start-up lines to debug and everything else through", () => {
    const calls: [string, unknown, unknown[]][] = [];
    const record =
      (level: string) =>
      (message: unknown, ...rest: unknown[]) =>
        calls.push([level, message, rest]);
    const logger = new FrameworkQuietLogger({
      log: record('log'),
      debug: record('debug'),
      warn: record('warn'),
      error: record('error'),
    });
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('Mapped {/api/spaces, GET} route', 'RouterExplorer');
    logger.log({ msg: 'cycle done' }, 'GitSyncOrchestrator');
    logger.warn('careful', 'InstanceLoader');
    expect(calls.map(([level, message]) => [level, message])).toEqual([
      ['debug', 'AppModule dependencies initialized'],
      ['debug', 'Mapped {/api/spaces, GET} route'],
      ['log', { msg: 'cycle done' }],
      ['warn', 'careful'],
    ]);
  });
});

describe('resolveLogFormat', () => {
  it('is pretty at a terminal and JSON otherwise, unless set', () => {
    expect(resolveLogFormat('auto', true)).toBe('pretty');
    expect(resolveLogFormat('auto', undefined)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});

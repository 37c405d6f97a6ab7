import 'reflect-metadata';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import pino from 'pino';
import { generateAccessToken, hashAccessToken } from '../../../src/accounts';
import { AppModule } from '../../../src/app.module';
import { fastifyOptions } from '../../../src/app/http-hardening';
import { loadConfig } from '../../../src/config';
import { privateSchema } from '../../support/postgres-schema';
import { suiteFixture, type BackendName } from '../support/test-engine';

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Record<string, unknown>;
  body: T;
}

export interface RequestOptions {
  /** The Bearer token to send: the admin's by default, `null` for none. */
  token?: string | null;
  headers?: Record<string, string>;
  /** The client address the server sees. */
  remoteAddress?: string;
}

export interface ApiApp {
  app: NestFastifyApplication;
  tmp: string;
  dataDir: string;
  /** The bootstrap admin's token (`GIT_SYNC_ADMIN_TOKEN_SHA256`), which `request` sends unless told otherwise. */
  adminToken: string;
  request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    options?: RequestOptions,
  ): Promise<ApiResponse<T>>;
  close(): Promise<void>;
}

/** The real server (AppModule) on a temp data directory and a fresh database, without the poll loop or the demo seed. */
export async function openApiApp(backend: BackendName, env: Record<string, string> = {}): Promise<ApiApp> {
  const tmp = await mkdtemp(join(tmpdir(), 'git-sync-api-'));
  const dataDir = join(tmp, 'data');
  // The AppModule's config has no schema setting: on PostgreSQL the connection string sets the search_path.
  const database = backend === 'postgres' ? privateSchema('git_sync_api') : undefined;
  await database?.create();
  const adminToken = generateAccessToken();
  let app: NestFastifyApplication | undefined;
  try {
    const config = loadConfig({
      GIT_SYNC_DATA_DIR: dataDir,
      GIT_SYNC_POLL_INTERVAL_MS: '0',
      GIT_SYNC_DEMO: 'false',
      GIT_SYNC_DEBOUNCE_MS: '60000',
      GIT_SYNC_ADMIN_TOKEN_SHA256: hashAccessToken(adminToken),
      ...(database ? { DATABASE_URL: database.url } : {}),
      ...env,
    });
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.forRoot({ config, logger: pino({ level: 'silent' }) })],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(fastifyOptions(config)), {
      logger: false,
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  } catch (err) {
    await app?.close();
    await database?.drop();
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const started = app;
  return {
    app: started,
    tmp,
    dataDir,
    adminToken,
    async request(method, url, payload, options = {}) {
      const token = options.token === undefined ? adminToken : options.token;
      const res = await started.inject({
        method,
        url,
        headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...options.headers },
        ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      // 204s have no body; every other API answer is JSON.
      return {
        status: res.statusCode,
        headers: res.headers,
        body: (res.body === '' ? undefined : res.json()) as never,
      };
    },
    async close() {
      await started.close();
      await database?.drop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** The server for the enclosing suite (see `suiteFixture`). */
export function useApiApp(backend: BackendName, env: Record<string, string> = {}): ApiApp {
  return suiteFixture(
    () => openApiApp(backend, env),
    (t) => t.close(),
  );
}

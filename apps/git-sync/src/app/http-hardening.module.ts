import fastifyCors from '@fastify/cors';
import { Inject, Module, type DynamicModule, type ModuleMetadata, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { acceptsApiBody, hostNameOf } from './http-hardening';

function refuse(reply: FastifyReply, statusCode: number, error: string, message: string): void {
  void reply
    .code(statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .header('cache-control', 'no-store')
    .send({ statusCode, error, message });
}

/**
 * What keeps other web pages out, before any route runs:
 * - a `Host` outside `GIT_SYNC_ALLOWED_HOSTS` gets 421, which defeats DNS
 *   rebinding (a page on attacker.example resolved to 127.0.0.1);
 * - a mutating `/api` request whose body is not JSON gets 415, which
 *   defeats cross-site forms and text/plain posts (no preflight for those);
 * - CORS headers go only to `GIT_SYNC_CORS_ORIGINS`, and to nobody by default.
 */
@Module({})
export class HttpHardeningModule implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(GIT_SYNC_CONFIG) private readonly config: GitSyncConfig,
  ) {}

  /** @param imports A module that exports `GIT_SYNC_CONFIG`. */
  static forRoot({ imports }: { imports: ModuleMetadata['imports'] }): DynamicModule {
    return { module: HttpHardeningModule, imports };
  }

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance?.<FastifyInstance>();
    if (instance === undefined || typeof instance.addHook !== 'function') return;
    const allowed = new Set(this.config.allowedHosts);
    instance.addHook('onRequest', (request, reply, done) => {
      const host = hostNameOf(request.headers.host);
      if (host === undefined || !allowed.has(host)) {
        return refuse(
          reply,
          421,
          'Misdirected Request',
          'This server does not answer for that Host; see GIT_SYNC_ALLOWED_HOSTS',
        );
      }
      if (request.url.startsWith('/api/') && !acceptsApiBody(request.method, request.headers)) {
        return refuse(reply, 415, 'Unsupported Media Type', 'The API accepts only application/json request bodies');
      }
      done();
    });
    if (this.config.corsOrigins.length > 0) {
      void instance.register(fastifyCors, {
        origin: [...this.config.corsOrigins],
        methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        allowedHeaders: ['authorization', 'content-type'],
        maxAge: 600,
      });
    }
  }
}

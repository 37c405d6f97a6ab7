import { tmpdir } from 'node:os';
import {
  Inject,
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import type { PortProvider } from '../common/port-provider';
import { GitRunner } from '../vault/git-runner';
import { GIT_ACCESS_POLICY, type GitAccessPolicy } from '../accounts/git-access-policy.port';
import { GitBackendService } from './git-backend.service';
import { GitHttpController } from './git-http.controller';
import { GIT_REPOSITORY_PROVIDER, type GitRepositoryProvider } from './git-repository-provider.port';

export interface GitHttpModuleOptions {
  /**
   * Modules that export what the host and the port providers need:
   * `GitSyncOrchestrator`, `GIT_SYNC_CONFIG` and, to count refusals, `GitSyncMetrics`.
   */
  imports?: ModuleMetadata['imports'];
  accessPolicy: PortProvider<GitAccessPolicy>;
  repositoryProvider: PortProvider<GitRepositoryProvider>;
  /**
   * The git that serves requests: its binary, and the sealed environment
   * `git http-backend` runs in. The engine's runner, typically.
   * @default a runner of its own, with HOME in the temporary directory
   */
  git?: PortProvider<GitRunner>;
}

/** Fastify content types of git's request bodies; see `onModuleInit`. */
export const GIT_CONTENT_TYPES = /^application\/x-git-[a-z-]+$/;

/**
 * The git smart-HTTP host, for NestJS on Fastify. What it needs comes from
 * the modules given as `imports` (see `GitHttpModuleOptions.imports`).
 */
@Module({})
export class GitHttpModule implements OnModuleInit {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  static forRoot(options: GitHttpModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { ...options.accessPolicy, provide: GIT_ACCESS_POLICY } as Provider,
      { ...options.repositoryProvider, provide: GIT_REPOSITORY_PROVIDER } as Provider,
      { ...(options.git ?? { useFactory: () => new GitRunner({ home: tmpdir() }) }), provide: GitRunner } as Provider,
      GitBackendService,
    ];
    return {
      module: GitHttpModule,
      imports: options.imports ?? [],
      controllers: [GitHttpController],
      providers,
      exports: [GitBackendService],
    };
  }

  /**
   * Fastify answers 415 to content types it has no parser for, and its
   * parsers buffer. This one accepts git's pack streams and leaves them
   * unread, so the controller can pipe `req.raw` straight into the backend.
   */
  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance?.<FastifyInstance>();
    if (instance === undefined || typeof instance.addContentTypeParser !== 'function') return;
    if (instance.hasContentTypeParser(GIT_CONTENT_TYPES)) return;
    instance.addContentTypeParser(GIT_CONTENT_TYPES, (_request, _payload, done) => done(null));
  }
}

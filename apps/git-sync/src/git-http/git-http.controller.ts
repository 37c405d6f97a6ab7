import { Controller, Get, Inject, Logger, Optional, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SpaceLockClosedError } from 'space-lock';
import { GitSyncMetrics, type UnavailableReason } from '../metrics/git-sync-metrics';
import { GitSyncLockHeldError, GitSyncOrchestrator, type RunOnceResult } from '../orchestrator';
import { isDatabaseUnavailable } from '../pages/database-unavailable';
import { GIT_ACCESS_POLICY, type GitAccessPolicy } from '../accounts/git-access-policy.port';
import type { GitBackendOutcome } from './git-backend-request';
import { GitBackendService } from './git-backend.service';
import { GitPathError } from './git-path.error';
import { validateGitPath } from './git-path.validator';
import { LockWaitNotice } from './lock-wait-notice';
import { pushReportLines } from './push-report';
import { GIT_REPOSITORY_PROVIDER, type GitRepositoryProvider } from './git-repository-provider.port';
import type { GitRoute } from './git-route';
import { RepositoryNotReadyError } from './repository-not-ready.error';

const BUSY_MESSAGE = 'This space is busy: a sync is running. Please retry the push in a moment.';
const NOT_READY_MESSAGE =
  "This space's repository is still being prepared. Please retry the clone or fetch in a moment.";
const DATABASE_MESSAGE = 'The server cannot reach its database right now. Please retry in a moment.';
const SHUTTING_DOWN_MESSAGE = 'The server is shutting down. Please retry in a moment.';
/** How a push refused by the access policy is counted, by the status it got. */
const AUTH_REFUSALS: Readonly<Record<number, string>> = { 401: 'unauthorized', 403: 'forbidden', 429: 'throttled' };
/** A push that has not got its space's lock by then is told, on a `remote:` line, that it waits. */
const LOCK_WAIT_NOTICE_MS = 250;

/**
 * Git smart HTTP at `/git/<spaceId>.git/...`. Order per request: validate the
 * raw path, ask the access policy, then spawn the backend. Pushes, and the
 * ref advertisement they start from, run under the space's lock through the
 * orchestrator; clones and fetches never take it (the repository exists from
 * the space's creation on).
 */
@Controller('git')
export class GitHttpController {
  readonly #logger = new Logger(GitHttpController.name);

  constructor(
    private readonly orchestrator: GitSyncOrchestrator,
    private readonly backend: GitBackendService,
    @Inject(GIT_ACCESS_POLICY) private readonly policy: GitAccessPolicy,
    @Inject(GIT_REPOSITORY_PROVIDER) private readonly repositories: GitRepositoryProvider,
    @Optional() @Inject(GitSyncMetrics) private readonly metrics?: GitSyncMetrics,
  ) {}

  @Get('*')
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.#handle(req, reply);
  }

  @Post('*')
  post(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.#handle(req, reply);
  }

  async #handle(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    let route: GitRoute;
    try {
      route = validateGitPath(req.method, req.raw.url ?? '');
    } catch (err) {
      if (!(err instanceof GitPathError)) throw err;
      this.#logger.warn({ msg: 'git path refused', path: err.path, reason: err.reason });
      const headers: Record<string, string> = err.allow === undefined ? {} : { allow: err.allow };
      return this.#plain(reply, err.status, `Refused: ${err.reason}.`, headers);
    }
    const { spaceId } = route;
    const isPush = route.service === 'receive' && route.endpoint === 'rpc';
    try {
      const decision = await this.policy.authorize({
        spaceId,
        service: route.service,
        authorization: req.headers.authorization,
        remoteAddress: req.ip,
      });
      if (!decision.ok) {
        if (isPush) this.metrics?.pushRefused(AUTH_REFUSALS[decision.status] ?? 'not-found');
        return this.#plain(reply, decision.status, decision.message, decision.headers);
      }

      const serve = async (signal?: AbortSignal): Promise<GitBackendOutcome> => {
        const repositoryPath = await this.repositories.ensureRepository(spaceId, { underLock: signal !== undefined });
        reply.hijack();
        return this.backend.serve(
          {
            route,
            repositoryPath,
            headers: req.headers,
            remoteUser: decision.user,
            remoteAddress: req.ip,
            body: route.endpoint === 'rpc' ? req.raw : undefined,
            signal,
            deferEnd: route.service === 'receive' && route.endpoint === 'rpc',
          },
          reply.raw,
        );
      };

      let outcome: GitBackendOutcome;
      if (route.service === 'upload') outcome = await serve();
      // The advertisement a push starts from is taken under the lock too, so
      // a busy space is refused here, where git shows the client our message.
      else if (route.endpoint === 'info-refs') outcome = await this.orchestrator.runExclusive(spaceId, serve);
      else {
        // The push's response ends only here, after its cycle, with what the cycle did.
        let served: GitBackendOutcome | undefined;
        let cycle: RunOnceResult | undefined;
        const notice = new LockWaitNotice(
          req.raw,
          req.headers['content-encoding'],
          reply.raw,
          LOCK_WAIT_NOTICE_MS,
          () => {
            reply.hijack();
            this.#logger.log({ msg: 'push waiting for the space lock', spaceId });
          },
        );
        try {
          const receive = async (signal: AbortSignal) => {
            await notice.stop();
            return (served = await serve(signal));
          };
          outcome = await this.orchestrator.ingestExternalPush(spaceId, receive, (result) => (cycle = result));
        } catch (err) {
          await notice.stop();
          // The response has begun with the notice, so the busy answer goes in-band instead of a 503.
          if (err instanceof GitSyncLockHeldError && notice.sent) {
            this.metrics?.pushRefused('busy');
            return notice.fail(BUSY_MESSAGE);
          }
          throw err;
        } finally {
          served?.complete?.(pushReportLines(cycle));
        }
        if (outcome.failure !== undefined) this.metrics?.pushRefused(outcome.failure);
        else if (outcome.declined) this.metrics?.pushRefused('declined');
        else this.metrics?.pushAccepted();
      }
      // A push's effect is on the cycle's line; one more per request would double every push.
      this.#logger.debug({
        msg: 'git request served',
        spaceId,
        endpoint: route.pathInfo,
        user: decision.user,
        status: outcome.status,
        failure: outcome.failure,
      });
    } catch (err) {
      if (err instanceof GitSyncLockHeldError || err instanceof RepositoryNotReadyError) {
        // A read is never told about pushes: it only waited for the repository to exist.
        const upload = route.service === 'upload';
        return this.#unavailable(
          reply,
          upload ? 'not-ready' : 'lock-busy',
          upload ? NOT_READY_MESSAGE : BUSY_MESSAGE,
          isPush,
        );
      }
      if (err instanceof SpaceLockClosedError) {
        // Shutdown closed the lock between this request's arrival and its turn for it.
        return this.#unavailable(reply, 'shutting-down', SHUTTING_DOWN_MESSAGE, isPush);
      }
      if (isDatabaseUnavailable(err) && !reply.raw.headersSent) {
        this.#logger.warn({ msg: 'git request refused: database unavailable', spaceId, endpoint: route.pathInfo, err });
        return this.#unavailable(reply, 'database', DATABASE_MESSAGE, isPush);
      }
      this.#logger.error({ msg: 'git request failed', spaceId, endpoint: route.pathInfo, err });
      if (reply.raw.headersSent) reply.raw.destroy();
      else this.#plain(reply, 500, 'Internal error while serving the git request.');
    }
  }

  #unavailable(reply: FastifyReply, reason: UnavailableReason, message: string, isPush: boolean): void {
    this.metrics?.unavailable(reason);
    if (isPush) this.metrics?.pushRefused(reason === 'lock-busy' ? 'busy' : reason);
    this.#plain(reply, 503, message, { 'retry-after': '1' });
  }

  /** A short text answer, through Fastify while it still owns the reply, or raw after the hijack. */
  #plain(reply: FastifyReply, status: number, message: string, headers: Readonly<Record<string, string>> = {}): void {
    const body = `${message}\n`;
    const all = { ...headers, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' };
    if (reply.sent || reply.raw.headersSent) {
      if (!reply.raw.headersSent && !reply.raw.destroyed) {
        reply.raw.writeHead(status, { ...all, 'content-length': Buffer.byteLength(body) });
        reply.raw.end(body);
      } else {
        reply.raw.destroy();
      }
      return;
    }
    void reply.code(status).headers(all).send(body);
  }
}

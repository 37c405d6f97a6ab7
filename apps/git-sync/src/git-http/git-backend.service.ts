import { spawn, type ChildProcess } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { GIT_SYNC_CONFIG, type GitSyncConfig } from '../config';
import { GitRunner } from '../vault/git-runner';
import { PUSH_POLICY_SETTINGS } from '../vault/push-policy-hook';
import { CgiHeaderParser } from './cgi-header.parser';
import type { CgiResponseHead } from './cgi-response';
import type { GitBackendFailure, GitBackendOutcome, GitBackendRequest } from './git-backend-request';
import { FLUSH_PKT, isSidebandResponse, progressPacket, SIDEBAND_PROBE_BYTES } from './side-band';

const STDERR_KEPT_BYTES = 4 * 1024;

/**
 * A ref receive-pack did not update, in its report-status: the pkt-line `<len>ng <ref> <reason>`
 * (with side-band, inside a channel-1 packet). The four hex digits keep a progress message that
 * merely contains "ng refs/" ("pushing refs/…") from matching.
 */
const REF_DECLINED = /[0-9a-f]{4}ng refs\//;
const REF_DECLINED_SCAN_CHARS = 12;

const FAILURE_RESPONSES: Record<
  Exclude<GitBackendFailure, 'client-closed'>,
  { status: number; message: string; retryAfter?: string }
> = {
  timeout: { status: 504, message: 'The git backend timed out.' },
  deadline: {
    status: 504,
    message:
      'The push did not finish within the time allowed and was cut off; nothing of it was applied. Push again, or in smaller parts.',
  },
  'too-large': {
    status: 413,
    message:
      'The push is larger than this server accepts (GIT_SYNC_MAX_PUSH_BYTES); nothing of it was applied. Push in smaller parts.',
  },
  aborted: { status: 503, message: 'The space changed hands during the request; please retry.', retryAfter: '1' },
  spawn: { status: 500, message: 'The git backend could not be started.' },
  'bad-cgi': { status: 502, message: 'The git backend sent an invalid response.' },
  exit: { status: 500, message: 'The git backend failed.' },
  protocol: { status: 400, message: 'The request body is not a valid git protocol stream.' },
};

// What git's pkt-line reader says of a malformed request; the client's mistake, not the server's.
const PROTOCOL_ERROR =
  /^fatal: protocol error: bad line length|^fatal: protocol error: bad band|^fatal: invalid (?:packet|pkt-line)/m;

/**
 * Serves one smart-HTTP request by running `git http-backend` as a CGI
 * program. Both bodies are streamed with backpressure, never buffered whole.
 *
 * The response head is held back until the backend's first body byte (or
 * its clean exit), so a backend that dies or times out before answering
 * still gets a proper 5xx instead of a 200 with an empty body.
 */
@Injectable()
export class GitBackendService implements OnApplicationShutdown {
  readonly #logger = new Logger(GitBackendService.name);
  readonly #children = new Set<ChildProcess>();

  constructor(
    @Inject(GIT_SYNC_CONFIG) private readonly config: GitSyncConfig,
    @Inject(GitRunner) private readonly git: GitRunner,
  ) {}

  /** Never rejects: every failure ends in an error response or a cut connection, and is logged. */
  serve(request: GitBackendRequest, res: ServerResponse): Promise<GitBackendOutcome> {
    return new Promise<GitBackendOutcome>((resolve) =>
      new BackendRun(request, res, this.config, this.git, this.#logger, this.#children, resolve).start(),
    );
  }

  /** Backends still running at shutdown would outlive the server; end them. */
  onApplicationShutdown(): void {
    for (const child of this.#children) killTree(child);
    this.#children.clear();
  }
}

/** The state of one backend process serving one request. */
class BackendRun {
  #child: ChildProcess | undefined;
  readonly #parser = new CgiHeaderParser();
  #head: CgiResponseHead | undefined;
  #headSent = false;
  #failure: GitBackendFailure | undefined;
  #stderr = '';
  #idle: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #bodyBytes = 0;
  /** With `deferEnd`: the last bytes of output, withheld (the final flush packet, once all is out). */
  #tail = Buffer.alloc(0);
  /** The first bytes of output, enough to see whether it is multiplexed (side-band). */
  #start = Buffer.alloc(0);
  /** With `deferEnd`: the end of the output scanned so far, so a status split across chunks is still seen. */
  #scanned = '';
  /** With `deferEnd`: receive-pack reported a ref it did not update (`ng`: a hook declined it). */
  #declined = false;
  #finished = false;

  constructor(
    private readonly request: GitBackendRequest,
    private readonly res: ServerResponse,
    private readonly config: GitSyncConfig,
    private readonly git: GitRunner,
    private readonly logger: Logger,
    private readonly children: Set<ChildProcess>,
    private readonly resolve: (outcome: GitBackendOutcome) => void,
  ) {}

  start(): void {
    const { signal, body } = this.request;
    if (signal?.aborted) {
      this.#failure = 'aborted';
      this.#finish(null);
      return;
    }
    // A client that hung up while this request waited (for the lock, say) left no 'close' or
    // 'error' for the listeners below to hear: without this, the backend would wait on a body
    // that never comes, holding the space's lock until the push deadline.
    if (this.res.destroyed || (body !== undefined && body.destroyed)) {
      this.#failure = 'client-closed';
      this.#finish(null);
      return;
    }
    const isPush = this.request.route.service === 'receive' && this.request.route.endpoint === 'rpc';
    const declared = Number(this.request.headers['content-length']);
    if (isPush && Number.isFinite(declared) && declared > this.config.maxPushBytes) {
      // Refused before a process starts: nothing is read, nothing is written.
      this.#failure = 'too-large';
      this.#finish(null);
      return;
    }
    let child: ChildProcess;
    try {
      // Its own process group, so a kill also reaches the upload-pack or
      // receive-pack that http-backend runs as its child.
      child = spawn(this.git.binary, ['http-backend'], {
        env: this.#env(),
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      this.#failure = 'spawn';
      this.#logFailure(err);
      this.#finish(null);
      return;
    }
    this.#child = child;
    this.children.add(child);

    this.#idle = setTimeout(() => this.#kill('timeout'), this.config.backendTimeoutMs);
    this.#idle.unref();
    // The idle timer alone lets a body trickling a byte at a time hold the space's lock for ever.
    if (isPush) {
      this.#deadline = setTimeout(() => this.#kill('deadline'), this.config.pushDeadlineMs);
      this.#deadline.unref();
    }
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    this.res.on('close', this.#onResponseClose);

    child.on('error', (err) => {
      this.#failure ??= 'spawn';
      this.#logFailure(err);
      this.#finish(null);
    });
    child.on('close', (code) => this.#finish(code));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_BYTES);
    });
    child.stdout!.on('data', (chunk: Buffer) => this.#onStdout(chunk));
    // EPIPE when the backend exits before reading the whole body: its exit tells the story.
    child.stdin!.on('error', () => {});

    if (body === undefined) {
      child.stdin!.end();
    } else {
      body.on('data', this.#touch);
      if (isPush) body.on('data', this.#count);
      body.on('error', () => this.#kill('client-closed'));
      body.pipe(child.stdin!);
    }
  }

  /**
   * The runner's sealed git environment (no system or user config, none of the
   * server's own GIT_* variables: a stray GIT_DIR would point the backend at
   * another repository), plus the CGI request and the push policy.
   */
  #env(): NodeJS.ProcessEnv {
    const { route, repositoryPath, headers, remoteUser, remoteAddress } = this.request;
    const env = this.git.environment({
      ...configEnv([['http.receivepack', 'true'], ...PUSH_POLICY_SETTINGS]),
      // The repository itself is the project root, so http-backend finds it
      // whether it is a working tree (it tries `<path>/.git` first) or bare.
      GIT_PROJECT_ROOT: repositoryPath,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: route.pathInfo,
      REQUEST_METHOD: route.endpoint === 'rpc' ? 'POST' : 'GET',
      QUERY_STRING: route.queryString,
      REMOTE_USER: remoteUser,
      REMOTE_ADDR: remoteAddress,
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
    });
    const set = (name: string, value: string | string[] | undefined) => {
      if (typeof value === 'string' && value !== '') env[name] = value;
    };
    set('CONTENT_TYPE', headers['content-type']);
    set('CONTENT_LENGTH', headers['content-length']);
    // http-backend inflates a gzip body itself when told the encoding.
    set('HTTP_CONTENT_ENCODING', headers['content-encoding']);
    set('GIT_PROTOCOL', headers['git-protocol']);
    // Read by the vault's pre-receive hook.
    env.GIT_SYNC_MAX_FILE_BYTES = String(this.config.maxFileBytes);
    env.GIT_SYNC_MAX_PUSH_FILES = String(this.config.maxPushFiles);
    return env;
  }

  readonly #touch = (): void => {
    this.#idle?.refresh();
  };

  // Counted as it arrives, so a body sent without a length (chunked) is held to the same limit.
  readonly #count = (chunk: Buffer): void => {
    this.#bodyBytes += chunk.length;
    if (this.#bodyBytes > this.config.maxPushBytes) this.#kill('too-large');
  };

  readonly #onAbort = (): void => {
    // The backend has already exited, only its output is still draining: what it did to the
    // repository is done, so the client gets git's own report of it, not a cut connection.
    if (this.#child !== undefined && (this.#child.exitCode !== null || this.#child.signalCode !== null)) return;
    this.#kill('aborted');
  };

  readonly #onResponseClose = (): void => {
    if (!this.res.writableFinished) this.#kill('client-closed');
  };

  #onStdout(chunk: Buffer): void {
    this.#touch();
    if (this.#failure !== undefined) return;
    if (this.#head === undefined) {
      let parsed: ReturnType<CgiHeaderParser['push']>;
      try {
        parsed = this.#parser.push(chunk);
      } catch (err) {
        this.#logFailure(err);
        this.#kill('bad-cgi');
        return;
      }
      if (parsed === undefined) return;
      this.#head = parsed.head;
      if (parsed.body.length > 0) this.#write(parsed.body);
      return;
    }
    this.#write(chunk);
  }

  #write(chunk: Buffer): void {
    if (this.res.destroyed) return;
    if (this.request.deferEnd) {
      if (!this.#declined) {
        const text = this.#scanned + chunk.toString('latin1');
        this.#declined = REF_DECLINED.test(text);
        this.#scanned = text.slice(-REF_DECLINED_SCAN_CHARS);
      }
      if (this.#start.length < SIDEBAND_PROBE_BYTES)
        this.#start = Buffer.concat([this.#start, chunk]).subarray(0, SIDEBAND_PROBE_BYTES);
      const all = Buffer.concat([this.#tail, chunk]);
      const keep = Math.min(FLUSH_PKT.length, all.length);
      this.#tail = all.subarray(all.length - keep);
      chunk = all.subarray(0, all.length - keep);
      if (chunk.length === 0) return;
    }
    this.#sendHead();
    if (!this.res.write(chunk)) {
      const stdout = this.#child!.stdout!;
      stdout.pause();
      this.res.once('drain', () => {
        this.#touch();
        stdout.resume();
      });
    }
  }

  #sendHead(): void {
    if (this.#headSent || this.#head === undefined) return;
    // Already sent by the server itself (a notice while the push waited for the lock): git's own
    // status line would be a second head, so it is dropped and only the body follows.
    if (this.res.headersSent) {
      this.#headSent = true;
      return;
    }
    this.#headSent = true;
    const { status, statusMessage, headers } = this.#head;
    if (statusMessage !== undefined) this.res.writeHead(status, statusMessage, headers);
    else this.res.writeHead(status, headers);
  }

  #kill(reason: GitBackendFailure): void {
    if (this.#finished) return;
    this.#failure ??= reason;
    if (this.#child !== undefined) killTree(this.#child);
    this.request.body?.unpipe();
  }

  #finish(exitCode: number | null): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#idle);
    clearTimeout(this.#deadline);
    this.request.signal?.removeEventListener('abort', this.#onAbort);
    this.request.body?.off('data', this.#touch);
    this.request.body?.off('data', this.#count);
    if (this.#child !== undefined) this.children.delete(this.#child);

    let failure = this.#failure;
    if (failure === undefined && exitCode !== 0)
      failure = !this.#headSent && PROTOCOL_ERROR.test(this.#stderr) ? 'protocol' : 'exit';
    if (failure === undefined && this.#head === undefined) failure = 'bad-cgi';

    let complete: ((lines: readonly string[]) => void) | undefined;
    if (failure === undefined) {
      this.#sendHead();
      if (this.request.deferEnd) complete = (lines) => this.#complete(lines);
      else this.res.end();
    } else {
      this.#logFailure(undefined, failure, exitCode);
      // A backend that answered with its own error status (a 404 for a
      // missing repository, say) is passed on, even when it exits non-zero.
      if (failure === 'exit' && this.#head !== undefined && this.#head.status >= 400) {
        this.#sendHead();
        this.res.end();
      } else {
        this.#fail(failure);
      }
    }
    this.resolve({
      status: this.res.headersSent ? this.res.statusCode : 0,
      exitCode,
      failure,
      complete,
      declined: this.#declined,
    });
  }

  #complete(lines: readonly string[]): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    const endsWithFlush = this.#tail.equals(FLUSH_PKT);
    if (endsWithFlush && isSidebandResponse(this.#start)) {
      for (const line of lines) this.res.write(progressPacket(line));
    }
    this.res.end(this.#tail);
  }

  #fail(failure: GitBackendFailure): void {
    if (failure === 'client-closed' || this.res.headersSent || this.res.destroyed) {
      // Headers (and maybe part of a pack) are out: cutting the connection is
      // the only way left to tell the client the body is incomplete.
      this.res.destroy();
      return;
    }
    const { status, message, retryAfter } = FAILURE_RESPONSES[failure];
    const body = `${message}\n`;
    this.res.writeHead(status, {
      ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-cache',
      // The request body may be unread (a stuck upload); do not reuse the socket.
      connection: 'close',
    });
    this.res.end(body);
  }

  #logFailure(
    err: unknown,
    failure: GitBackendFailure | undefined = this.#failure,
    exitCode: number | null = null,
  ): void {
    const { route } = this.request;
    // A client hanging up is routine; everything else is the server's problem.
    const level = failure === 'client-closed' || failure === 'protocol' ? 'warn' : 'error';
    this.logger[level]({
      msg: 'git http-backend failed',
      spaceId: route.spaceId,
      endpoint: route.pathInfo,
      failure,
      exitCode,
      error: err instanceof Error ? err.message : undefined,
      stderr: this.#stderr.trim() || undefined,
    });
  }
}

/** git's `GIT_CONFIG_COUNT` form of configuration: applies to this process tree only. */
function configEnv(settings: ReadonlyArray<readonly [string, string]>): Record<string, string> {
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(settings.length) };
  settings.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

function killTree(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

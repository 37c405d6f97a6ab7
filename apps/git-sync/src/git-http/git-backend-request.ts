import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { GitRoute } from './git-route';

export interface GitBackendRequest {
  readonly route: GitRoute;
  /** Absolute path of the space's repository (see `GitRepositoryProvider`). */
  readonly repositoryPath: string;
  readonly headers: IncomingHttpHeaders;
  /** Who the access policy let in; passed to git as `REMOTE_USER`. */
  readonly remoteUser: string;
  readonly remoteAddress: string;
  /** The request body, streamed into the backend's stdin; POST only. */
  readonly body: Readable | undefined;
  /** Kills the backend when it aborts, e.g. when the space's lock is lost. */
  readonly signal?: AbortSignal;
  /**
   * Keeps the response open after a successful backend run, holding back its final flush packet,
   * until the outcome's `complete` is called: a push then ends only once it is synced, with the
   * server's report before git's end of output.
   */
  readonly deferEnd?: boolean;
}

/** Why a backend run did not complete normally. */
/** `protocol`: the client sent something that is not git's protocol (a malformed pkt-line). */
export type GitBackendFailure =
  'timeout' | 'deadline' | 'too-large' | 'aborted' | 'client-closed' | 'spawn' | 'bad-cgi' | 'exit' | 'protocol';

export interface GitBackendOutcome {
  /** The status the client got, or 0 when the connection was cut before any. */
  readonly status: number;
  readonly exitCode: number | null;
  readonly failure?: GitBackendFailure;
  /**
   * With `deferEnd` and a successful run: ends the response, first sending `lines` as progress
   * messages (git prints each as `remote: <line>`) when the client asked for them. Idempotent.
   */
  readonly complete?: (lines: readonly string[]) => void;
  /** With `deferEnd`: git refused a ref of the push (a hook declined it); nothing of that ref was applied. */
  readonly declined?: boolean;
}

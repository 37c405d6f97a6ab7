/** A git URL refused before anything was spawned. */
export class GitPathError extends Error {
  /** 400 for a malformed or dangerous path, 405 for a known endpoint with the wrong method. */
  readonly status: 400 | 405;
  readonly reason: string;
  /** The request path as received (not decoded). */
  readonly path: string;
  /** With a 405: the method the endpoint takes. */
  readonly allow: 'GET' | 'POST' | undefined;

  constructor(details: { status: 400 | 405; reason: string; path: string; allow?: 'GET' | 'POST' }) {
    super(`Refused git path "${details.path}": ${details.reason}`);
    this.name = new.target.name;
    this.status = details.status;
    this.reason = details.reason;
    this.path = details.path;
    this.allow = details.allow;
  }
}

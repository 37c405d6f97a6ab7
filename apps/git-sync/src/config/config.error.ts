/** One environment variable that failed validation. */
export interface ConfigIssue {
  /** The environment variable, e.g. `GIT_SYNC_POLL_INTERVAL_MS`. */
  readonly variable: string;
  /** What was wrong with it, in words. */
  readonly reason: string;
}

/**
 * Thrown at start-up when the environment is invalid. Values are not echoed
 * back, because URLs such as DATABASE_URL carry credentials.
 */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(`Invalid configuration: ${issues.map((i) => `${i.variable}: ${i.reason}`).join('; ')}`);
    this.name = new.target.name;
    this.issues = issues;
  }

  /** The first offending variable, for callers that report only one. */
  get variable(): string {
    return this.issues[0]?.variable ?? '';
  }
}

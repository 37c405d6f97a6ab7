import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AUTH_FAILURE_DEFAULTS } from '../accounts/auth-failure-limiter';
import { ConfigError, type ConfigIssue } from './config.error';

/** The validated configuration of the git-sync server. */
export interface GitSyncConfig {
  /** Shared lock store for several replicas; without it, the in-memory lock (one replica). */
  readonly redisUrl: string | undefined;
  /** Page store on Postgres; without it, embedded PGlite. */
  readonly databaseUrl: string | undefined;
  /** Absolute directory holding one git repository per space. */
  readonly dataDir: string;
  /** Period of the poll loop; 0 turns the loop off. */
  readonly pollIntervalMs: number;
  /** Quiet time after an API edit before its space is synced. */
  readonly debounceMs: number;
  /** A `git http-backend` that moves no data for this long is killed. */
  readonly backendTimeoutMs: number;
  /** How long a push waits for a busy space before it is refused with 503. */
  readonly pushLockWaitMs: number;
  /** A receive-pack still running this long after it started is cut off, however much data it moves. */
  readonly pushDeadlineMs: number;
  /** Largest file a push may carry. */
  readonly maxFileBytes: number;
  /** Most files one push may add. */
  readonly maxPushFiles: number;
  /** Largest push request body, as sent (compressed or not). */
  readonly maxPushBytes: number;
  readonly lockTtlMs: number;
  readonly lockKeyPrefix: string;
  /** Global switch: when false, every cycle is skipped as `disabled`. */
  readonly enabled: boolean;
  readonly port: number;
  /** Interface to listen on; loopback unless the deployment opens it up. */
  readonly host: string;
  readonly logLevel: LogLevel;
  /** On a first run (no space, no user yet), create a demo space, user and token. */
  readonly seedDemo: boolean;
  /** Failed git authentications allowed per address and per username within the window, before 429. */
  readonly authMaxFailures: number;
  readonly authWindowSeconds: number;
  /** Redis key prefix of the failure counts (shared by replicas). */
  readonly authFailureKeyPrefix: string;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const CONFIG_DEFAULTS = {
  dataDir: '.data',
  pollIntervalMs: 30_000,
  debounceMs: 2_000,
  backendTimeoutMs: 60_000,
  pushLockWaitMs: 3_000,
  pushDeadlineMs: 120_000,
  maxFileBytes: 5 * 1024 * 1024,
  maxPushFiles: 2_000,
  maxPushBytes: 100 * 1024 * 1024,
  lockTtlMs: 30_000,
  lockKeyPrefix: 'git-sync:lock:',
  enabled: true,
  port: 3000,
  host: '127.0.0.1',
  logLevel: 'info',
  seedDemo: true,
  authMaxFailures: AUTH_FAILURE_DEFAULTS.maxFailures,
  authWindowSeconds: AUTH_FAILURE_DEFAULTS.windowSeconds,
  authFailureKeyPrefix: AUTH_FAILURE_DEFAULTS.keyPrefix,
} as const;

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, `expected a whole number between ${min} and ${max}`)
    .transform(Number)
    .pipe(z.number().int().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

function url(protocols: readonly string[]) {
  return z
    .string()
    .trim()
    .refine((value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);
}

const boolean = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const lower = value.toLowerCase();
    if (TRUE.has(lower)) return true;
    if (FALSE.has(lower)) return false;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expected one of true, false, 1, 0, yes, no, on, off' });
    return z.NEVER;
  });

const schema = z.object({
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  GIT_SYNC_DATA_DIR: z.string().trim().optional(),
  GIT_SYNC_POLL_INTERVAL_MS: integer(0).optional(),
  GIT_SYNC_DEBOUNCE_MS: integer(0).optional(),
  GIT_SYNC_BACKEND_TIMEOUT_MS: integer(1).optional(),
  GIT_SYNC_PUSH_LOCK_WAIT_MS: integer(0).optional(),
  GIT_SYNC_PUSH_DEADLINE_MS: integer(1).optional(),
  GIT_SYNC_MAX_FILE_BYTES: integer(1).optional(),
  GIT_SYNC_MAX_PUSH_FILES: integer(1).optional(),
  GIT_SYNC_MAX_PUSH_BYTES: integer(1).optional(),
  GIT_SYNC_LOCK_TTL_MS: integer(3).optional(),
  GIT_SYNC_LOCK_KEY_PREFIX: z.string().optional(),
  GIT_SYNC_ENABLED: boolean.optional(),
  PORT: integer(0, 65_535).optional(),
  HOST: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.:-]+$/, 'expected a host name or an IP address')
    .optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { errorMap: () => ({ message: `expected one of ${LOG_LEVELS.join(', ')}` }) }).optional(),
  GIT_SYNC_DEMO: boolean.optional(),
  GIT_SYNC_AUTH_MAX_FAILURES: integer(1).optional(),
  GIT_SYNC_AUTH_WINDOW_S: integer(1).optional(),
  GIT_SYNC_AUTH_FAILURE_KEY_PREFIX: z.string().trim().min(1, 'must not be empty').optional(),
});

type Variable = keyof z.input<typeof schema>;
const VARIABLES = Object.keys(schema.shape) as Variable[];

/**
 * Validates the environment and returns the configuration, or throws a
 * `ConfigError` naming every invalid variable. Empty strings count as unset,
 * as container tooling often exports declared-but-blank variables.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): GitSyncConfig {
  const input: Partial<Record<Variable, string>> = {};
  for (const name of VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') input[name] = value;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? 'environment'),
      reason: issue.message,
    }));
    throw new ConfigError(issues);
  }
  const v = parsed.data;
  const dataDir = v.GIT_SYNC_DATA_DIR ?? CONFIG_DEFAULTS.dataDir;
  return {
    redisUrl: v.REDIS_URL,
    databaseUrl: v.DATABASE_URL,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    pollIntervalMs: v.GIT_SYNC_POLL_INTERVAL_MS ?? CONFIG_DEFAULTS.pollIntervalMs,
    debounceMs: v.GIT_SYNC_DEBOUNCE_MS ?? CONFIG_DEFAULTS.debounceMs,
    backendTimeoutMs: v.GIT_SYNC_BACKEND_TIMEOUT_MS ?? CONFIG_DEFAULTS.backendTimeoutMs,
    pushLockWaitMs: v.GIT_SYNC_PUSH_LOCK_WAIT_MS ?? CONFIG_DEFAULTS.pushLockWaitMs,
    pushDeadlineMs: v.GIT_SYNC_PUSH_DEADLINE_MS ?? CONFIG_DEFAULTS.pushDeadlineMs,
    maxFileBytes: v.GIT_SYNC_MAX_FILE_BYTES ?? CONFIG_DEFAULTS.maxFileBytes,
    maxPushFiles: v.GIT_SYNC_MAX_PUSH_FILES ?? CONFIG_DEFAULTS.maxPushFiles,
    maxPushBytes: v.GIT_SYNC_MAX_PUSH_BYTES ?? CONFIG_DEFAULTS.maxPushBytes,
    lockTtlMs: v.GIT_SYNC_LOCK_TTL_MS ?? CONFIG_DEFAULTS.lockTtlMs,
    lockKeyPrefix: v.GIT_SYNC_LOCK_KEY_PREFIX ?? CONFIG_DEFAULTS.lockKeyPrefix,
    enabled: v.GIT_SYNC_ENABLED ?? CONFIG_DEFAULTS.enabled,
    port: v.PORT ?? CONFIG_DEFAULTS.port,
    host: v.HOST ?? CONFIG_DEFAULTS.host,
    logLevel: v.LOG_LEVEL ?? CONFIG_DEFAULTS.logLevel,
    seedDemo: v.GIT_SYNC_DEMO ?? CONFIG_DEFAULTS.seedDemo,
    authMaxFailures: v.GIT_SYNC_AUTH_MAX_FAILURES ?? CONFIG_DEFAULTS.authMaxFailures,
    authWindowSeconds: v.GIT_SYNC_AUTH_WINDOW_S ?? CONFIG_DEFAULTS.authWindowSeconds,
    authFailureKeyPrefix: v.GIT_SYNC_AUTH_FAILURE_KEY_PREFIX ?? CONFIG_DEFAULTS.authFailureKeyPrefix,
  };
}

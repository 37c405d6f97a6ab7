import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { AUTH_FAILURE_DEFAULTS, USERNAME_PATTERN } from '../common/auth-defaults';
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
  /** On SIGTERM, how long requests in flight may take before the listener closes and the locks are released. */
  readonly shutdownGraceMs: number;
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
  /** `json` lines, `pretty` lines for a person, or `auto`: pretty when stdout is a terminal. */
  readonly logFormat: LogFormat;
  /**
   * On a first run (no space, no user yet), create a demo space, admin user and token.
   * Defaults to on only with the embedded defaults: no `DATABASE_URL` and a loopback `HOST`.
   */
  readonly seedDemo: boolean;
  /** Failed authentications allowed per (address, username) within the window, before 429. */
  readonly authMaxFailures: number;
  /** Failed authentications allowed per address, whatever the usernames, within the window. */
  readonly authMaxAddressFailures: number;
  readonly authWindowSeconds: number;
  /** Redis key prefix of the failure counts (shared by replicas). */
  readonly authFailureKeyPrefix: string;
  /** Lower-case host names the `Host` header must name; anything else is refused with 421 (DNS rebinding). */
  readonly allowedHosts: readonly string[];
  /** Origins that get CORS headers; empty sends none. */
  readonly corsOrigins: readonly string[];
  /**
   * Which `X-Forwarded-For` hops to believe for the client address: false
   * (none, the default), a hop count, or the proxies' addresses and CIDRs.
   */
  readonly trustProxy: false | number | readonly string[];
  /** Serve Prometheus metrics at `GET /metrics`; off by default. */
  readonly metrics: boolean;
  /** A port of its own for `/metrics`; undefined serves it on `port`. */
  readonly metricsPort: number | undefined;
  /** Also export a gauge per failing space, labelled by space id (bounded; opt-in, as ids are unbounded). */
  readonly metricsPerSpace: boolean;
  /** An admin (created or promoted at start) who owns a token with this SHA-256; see `AccountStore.ensureAdmin`. */
  readonly bootstrapAdmin: { readonly username: string; readonly tokenHash: string } | undefined;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const CONFIG_DEFAULTS = {
  dataDir: '.data',
  pollIntervalMs: 30_000,
  debounceMs: 2_000,
  backendTimeoutMs: 60_000,
  pushLockWaitMs: 3_000,
  shutdownGraceMs: 10_000,
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
  authMaxFailures: AUTH_FAILURE_DEFAULTS.maxFailures,
  authMaxAddressFailures: AUTH_FAILURE_DEFAULTS.maxAddressFailures,
  authWindowSeconds: AUTH_FAILURE_DEFAULTS.windowSeconds,
  authFailureKeyPrefix: AUTH_FAILURE_DEFAULTS.keyPrefix,
  adminUsername: 'admin',
} as const;

/** The names a loopback listener is reached by; what `GIT_SYNC_ALLOWED_HOSTS` defaults to. */
export const LOOPBACK_HOST_NAMES = ['localhost', '127.0.0.1', '::1'] as const;

/** Whether `host` (a name or an address, IPv6 with or without brackets) is the loopback interface. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
}

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
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
    );
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

function list<T extends z.ZodTypeAny>(item: T) {
  return z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    )
    .pipe(z.array(item).min(1, 'expected a comma-separated list'));
}

const hostName = z
  .string()
  .regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.:-]+)$/, 'expected host names or IP addresses, without a port or scheme')
  .transform((host) => host.replace(/^\[(.*)\]$/, '$1').toLowerCase());

const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value.replace(/\/$/, '');
  } catch {
    return false;
  }
}, 'expected origins such as https://wiki.example.com (scheme, host and port only)');

/** An IP address or a CIDR block, as proxy-addr (Fastify's trustProxy) accepts them. */
const addressOrCidr = z.string().refine((value) => {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}, 'expected off, a hop count, or a comma-separated list of IP addresses and CIDR blocks');

const trustProxy = z.string().transform((value, ctx): false | number | string[] => {
  const trimmed = value.trim();
  if (FALSE.has(trimmed.toLowerCase())) return false;
  if (/^\d+$/.test(trimmed)) {
    const hops = Number(trimmed);
    if (hops >= 1 && hops <= 32) return hops;
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'a hop count must be between 1 and 32' });
    return z.NEVER;
  }
  const parsed = list(addressOrCidr).safeParse(trimmed);
  if (parsed.success) return parsed.data;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.error.issues[0]?.message ?? 'invalid' });
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
  GIT_SYNC_SHUTDOWN_GRACE_MS: integer(0).optional(),
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
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { errorMap: () => ({ message: `expected one of ${LOG_LEVELS.join(', ')}` }) })
    .optional(),
  LOG_FORMAT: z
    .enum(LOG_FORMATS, { errorMap: () => ({ message: `expected one of ${LOG_FORMATS.join(', ')}` }) })
    .optional(),
  GIT_SYNC_DEMO: boolean.optional(),
  GIT_SYNC_AUTH_MAX_FAILURES: integer(1).optional(),
  GIT_SYNC_AUTH_MAX_ADDRESS_FAILURES: integer(1).optional(),
  GIT_SYNC_AUTH_WINDOW_S: integer(1).optional(),
  GIT_SYNC_AUTH_FAILURE_KEY_PREFIX: z.string().trim().min(1, 'must not be empty').optional(),
  GIT_SYNC_ALLOWED_HOSTS: list(hostName).optional(),
  GIT_SYNC_CORS_ORIGINS: list(origin).optional(),
  GIT_SYNC_TRUST_PROXY: trustProxy.optional(),
  GIT_SYNC_METRICS: boolean.optional(),
  GIT_SYNC_METRICS_PORT: integer(0, 65_535).optional(),
  GIT_SYNC_METRICS_PER_SPACE: boolean.optional(),
  GIT_SYNC_ADMIN_USERNAME: z
    .string()
    .trim()
    .regex(USERNAME_PATTERN, 'expected 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit')
    .optional(),
  GIT_SYNC_ADMIN_TOKEN_SHA256: z
    .string()
    .trim()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected the hex SHA-256 of a token (64 hex digits)')
    .transform((hash) => hash.toLowerCase())
    .optional(),
});

type Variable = keyof z.input<typeof schema>;
const VARIABLES = Object.keys(schema.shape) as Variable[];

/**
 * Validates the environment and returns the configuration, or throws a
 * `ConfigError` naming every invalid variable. Empty strings count as unset,
 * as container tooling often exports declared-but-blank variables.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): GitSyncConfig {
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
  const host = v.HOST ?? CONFIG_DEFAULTS.host;
  const loopback = isLoopbackHost(host);
  const deferred: ConfigIssue[] = [];
  if (!loopback && v.GIT_SYNC_ALLOWED_HOSTS === undefined) {
    // Listening beyond loopback without it would answer any Host: the opening DNS rebinding needs.
    deferred.push({ variable: 'GIT_SYNC_ALLOWED_HOSTS', reason: 'required when HOST is not a loopback address' });
  }
  if (v.GIT_SYNC_ADMIN_USERNAME !== undefined && v.GIT_SYNC_ADMIN_TOKEN_SHA256 === undefined) {
    deferred.push({ variable: 'GIT_SYNC_ADMIN_TOKEN_SHA256', reason: 'required when GIT_SYNC_ADMIN_USERNAME is set' });
  }
  if (
    v.GIT_SYNC_METRICS_PORT !== undefined &&
    v.GIT_SYNC_METRICS_PORT !== 0 &&
    v.GIT_SYNC_METRICS_PORT === (v.PORT ?? CONFIG_DEFAULTS.port)
  ) {
    deferred.push({
      variable: 'GIT_SYNC_METRICS_PORT',
      reason: 'must differ from PORT (leave it unset to serve /metrics on PORT)',
    });
  }
  if (deferred.length > 0) throw new ConfigError(deferred);
  const dataDir = v.GIT_SYNC_DATA_DIR ?? CONFIG_DEFAULTS.dataDir;
  return {
    redisUrl: v.REDIS_URL,
    databaseUrl: v.DATABASE_URL,
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    pollIntervalMs: v.GIT_SYNC_POLL_INTERVAL_MS ?? CONFIG_DEFAULTS.pollIntervalMs,
    debounceMs: v.GIT_SYNC_DEBOUNCE_MS ?? CONFIG_DEFAULTS.debounceMs,
    backendTimeoutMs: v.GIT_SYNC_BACKEND_TIMEOUT_MS ?? CONFIG_DEFAULTS.backendTimeoutMs,
    pushLockWaitMs: v.GIT_SYNC_PUSH_LOCK_WAIT_MS ?? CONFIG_DEFAULTS.pushLockWaitMs,
    shutdownGraceMs: v.GIT_SYNC_SHUTDOWN_GRACE_MS ?? CONFIG_DEFAULTS.shutdownGraceMs,
    pushDeadlineMs: v.GIT_SYNC_PUSH_DEADLINE_MS ?? CONFIG_DEFAULTS.pushDeadlineMs,
    maxFileBytes: v.GIT_SYNC_MAX_FILE_BYTES ?? CONFIG_DEFAULTS.maxFileBytes,
    maxPushFiles: v.GIT_SYNC_MAX_PUSH_FILES ?? CONFIG_DEFAULTS.maxPushFiles,
    maxPushBytes: v.GIT_SYNC_MAX_PUSH_BYTES ?? CONFIG_DEFAULTS.maxPushBytes,
    lockTtlMs: v.GIT_SYNC_LOCK_TTL_MS ?? CONFIG_DEFAULTS.lockTtlMs,
    lockKeyPrefix: v.GIT_SYNC_LOCK_KEY_PREFIX ?? CONFIG_DEFAULTS.lockKeyPrefix,
    enabled: v.GIT_SYNC_ENABLED ?? CONFIG_DEFAULTS.enabled,
    port: v.PORT ?? CONFIG_DEFAULTS.port,
    host,
    logLevel: v.LOG_LEVEL ?? CONFIG_DEFAULTS.logLevel,
    logFormat: v.LOG_FORMAT ?? 'auto',
    // A demo admin with a known token has no place in a real deployment, unless asked for.
    seedDemo: v.GIT_SYNC_DEMO ?? (v.DATABASE_URL === undefined && loopback),
    authMaxFailures: v.GIT_SYNC_AUTH_MAX_FAILURES ?? CONFIG_DEFAULTS.authMaxFailures,
    authMaxAddressFailures: v.GIT_SYNC_AUTH_MAX_ADDRESS_FAILURES ?? CONFIG_DEFAULTS.authMaxAddressFailures,
    authWindowSeconds: v.GIT_SYNC_AUTH_WINDOW_S ?? CONFIG_DEFAULTS.authWindowSeconds,
    authFailureKeyPrefix: v.GIT_SYNC_AUTH_FAILURE_KEY_PREFIX ?? CONFIG_DEFAULTS.authFailureKeyPrefix,
    allowedHosts: v.GIT_SYNC_ALLOWED_HOSTS ?? [
      ...new Set([...LOOPBACK_HOST_NAMES, host.replace(/^\[(.*)\]$/, '$1').toLowerCase()]),
    ],
    corsOrigins: v.GIT_SYNC_CORS_ORIGINS?.map((o) => o.replace(/\/$/, '')) ?? [],
    trustProxy: v.GIT_SYNC_TRUST_PROXY ?? false,
    metrics: v.GIT_SYNC_METRICS ?? false,
    metricsPort: v.GIT_SYNC_METRICS_PORT,
    metricsPerSpace: v.GIT_SYNC_METRICS_PER_SPACE ?? false,
    bootstrapAdmin:
      v.GIT_SYNC_ADMIN_TOKEN_SHA256 === undefined
        ? undefined
        : {
            username: v.GIT_SYNC_ADMIN_USERNAME ?? CONFIG_DEFAULTS.adminUsername,
            tokenHash: v.GIT_SYNC_ADMIN_TOKEN_SHA256,
          },
  };
}

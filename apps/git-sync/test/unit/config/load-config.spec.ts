import { join } from 'node:path';
import { CONFIG_DEFAULTS, ConfigError, loadConfig } from '../../../src/config';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('fills the defaults and resolves the data directory under cwd', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toEqual({
      redisUrl: undefined,
      databaseUrl: undefined,
      dataDir: join('/srv/app', '.data'),
      pollIntervalMs: CONFIG_DEFAULTS.pollIntervalMs,
      debounceMs: CONFIG_DEFAULTS.debounceMs,
      backendTimeoutMs: CONFIG_DEFAULTS.backendTimeoutMs,
      pushLockWaitMs: CONFIG_DEFAULTS.pushLockWaitMs,
      shutdownGraceMs: 10_000,
      pushDeadlineMs: 120_000,
      maxFileBytes: 5 * 1024 * 1024,
      maxPushFiles: 2_000,
      maxPushBytes: 100 * 1024 * 1024,
      lockTtlMs: CONFIG_DEFAULTS.lockTtlMs,
      lockKeyPrefix: CONFIG_DEFAULTS.lockKeyPrefix,
      enabled: true,
      port: CONFIG_DEFAULTS.port,
      host: '127.0.0.1',
      logLevel: 'info',
      logFormat: 'auto',
      seedDemo: true,
      authMaxFailures: 10,
      authMaxAddressFailures: 100,
      authWindowSeconds: 60,
      authFailureKeyPrefix: 'git-sync:auth-failures',
      allowedHosts: ['localhost', '127.0.0.1', '::1'],
      corsOrigins: [],
      trustProxy: false,
      metrics: false,
      metricsPort: undefined,
      metricsPerSpace: false,
      bootstrapAdmin: undefined,
    });
  });

  it('reads every variable', () => {
    const config = loadConfig(
      {
        REDIS_URL: 'redis://localhost:6379/0',
        DATABASE_URL: 'postgres://u:p@db/wiki',
        GIT_SYNC_DATA_DIR: '/var/lib/git-sync',
        GIT_SYNC_POLL_INTERVAL_MS: '0',
        GIT_SYNC_DEBOUNCE_MS: '250',
        GIT_SYNC_BACKEND_TIMEOUT_MS: '5000',
        GIT_SYNC_PUSH_LOCK_WAIT_MS: '1500',
        GIT_SYNC_SHUTDOWN_GRACE_MS: '2500',
        GIT_SYNC_PUSH_DEADLINE_MS: '60000',
        GIT_SYNC_MAX_FILE_BYTES: '1024',
        GIT_SYNC_MAX_PUSH_FILES: '10',
        GIT_SYNC_MAX_PUSH_BYTES: '4096',
        GIT_SYNC_LOCK_TTL_MS: '9000',
        GIT_SYNC_LOCK_KEY_PREFIX: 'wiki:lock:',
        GIT_SYNC_ENABLED: 'off',
        PORT: '8080',
        HOST: '::1',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
        GIT_SYNC_DEMO: 'false',
        GIT_SYNC_AUTH_MAX_FAILURES: '3',
        GIT_SYNC_AUTH_WINDOW_S: '30',
        GIT_SYNC_AUTH_FAILURE_KEY_PREFIX: 'wiki:auth',
        GIT_SYNC_AUTH_MAX_ADDRESS_FAILURES: '40',
        GIT_SYNC_ALLOWED_HOSTS: 'Wiki.Example.com, [::1]',
        GIT_SYNC_CORS_ORIGINS: 'https://wiki.example.com/,http://localhost:5173',
        GIT_SYNC_TRUST_PROXY: '10.0.0.0/8, 192.168.1.1',
        GIT_SYNC_METRICS: 'yes',
        GIT_SYNC_METRICS_PORT: '9464',
        GIT_SYNC_METRICS_PER_SPACE: 'on',
        GIT_SYNC_ADMIN_USERNAME: 'root',
        GIT_SYNC_ADMIN_TOKEN_SHA256: 'AB'.repeat(32),
      },
      '/ignored',
    );
    expect(config).toEqual({
      redisUrl: 'redis://localhost:6379/0',
      databaseUrl: 'postgres://u:p@db/wiki',
      dataDir: '/var/lib/git-sync',
      pollIntervalMs: 0,
      debounceMs: 250,
      backendTimeoutMs: 5000,
      pushLockWaitMs: 1500,
      shutdownGraceMs: 2500,
      pushDeadlineMs: 60000,
      maxFileBytes: 1024,
      maxPushFiles: 10,
      maxPushBytes: 4096,
      lockTtlMs: 9000,
      lockKeyPrefix: 'wiki:lock:',
      enabled: false,
      port: 8080,
      host: '::1',
      logLevel: 'debug',
      logFormat: 'json',
      seedDemo: false,
      authMaxFailures: 3,
      authMaxAddressFailures: 40,
      authWindowSeconds: 30,
      authFailureKeyPrefix: 'wiki:auth',
      allowedHosts: ['wiki.example.com', '::1'],
      corsOrigins: ['https://wiki.example.com', 'http://localhost:5173'],
      trustProxy: ['10.0.0.0/8', '192.168.1.1'],
      metrics: true,
      metricsPort: 9464,
      metricsPerSpace: true,
      bootstrapAdmin: { username: 'root', tokenHash: 'ab'.repeat(32) },
    });
  });

  it('turns the demo off outside the embedded defaults, unless asked for', () => {
    expect(loadConfig({}).seedDemo).toBe(true);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/wiki' }).seedDemo).toBe(false);
    expect(loadConfig({ HOST: '0.0.0.0', GIT_SYNC_ALLOWED_HOSTS: 'wiki.example.com' }).seedDemo).toBe(false);
    expect(loadConfig({ DATABASE_URL: 'postgres://db/wiki', GIT_SYNC_DEMO: 'true' }).seedDemo).toBe(true);
  });

  it('requires GIT_SYNC_ALLOWED_HOSTS when HOST is not loopback, and adds a loopback HOST to the default', () => {
    expect(errorOf(() => loadConfig({ HOST: '0.0.0.0' })).variable).toBe('GIT_SYNC_ALLOWED_HOSTS');
    expect(loadConfig({ HOST: '127.0.0.2' }).allowedHosts).toEqual(['localhost', '127.0.0.1', '::1', '127.0.0.2']);
  });

  it('reads GIT_SYNC_TRUST_PROXY as off, a hop count, or addresses', () => {
    expect(loadConfig({ GIT_SYNC_TRUST_PROXY: 'off' }).trustProxy).toBe(false);
    expect(loadConfig({ GIT_SYNC_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ GIT_SYNC_TRUST_PROXY: '::1' }).trustProxy).toEqual(['::1']);
  });

  it('refuses a metrics port that is the server port', () => {
    expect(errorOf(() => loadConfig({ PORT: '8080', GIT_SYNC_METRICS_PORT: '8080' })).variable).toBe(
      'GIT_SYNC_METRICS_PORT',
    );
    expect(loadConfig({ PORT: '0', GIT_SYNC_METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  it('treats blank values as unset', () => {
    expect(loadConfig({ PORT: '', GIT_SYNC_ENABLED: '  ' }).port).toBe(CONFIG_DEFAULTS.port);
  });

  it.each([
    ['GIT_SYNC_POLL_INTERVAL_MS', 'soon'],
    ['GIT_SYNC_DEBOUNCE_MS', '-1'],
    ['GIT_SYNC_BACKEND_TIMEOUT_MS', '0'],
    ['GIT_SYNC_LOCK_TTL_MS', '2'],
    ['PORT', '70000'],
    ['PORT', '80.5'],
    ['GIT_SYNC_ENABLED', 'maybe'],
    ['REDIS_URL', 'localhost:6379'],
    ['DATABASE_URL', 'mysql://db/wiki'],
    ['HOST', 'a host'],
    ['LOG_LEVEL', 'loud'],
    ['GIT_SYNC_DEMO', 'perhaps'],
    ['GIT_SYNC_AUTH_MAX_FAILURES', '0'],
    ['GIT_SYNC_AUTH_WINDOW_S', 'a minute'],
    ['GIT_SYNC_AUTH_MAX_ADDRESS_FAILURES', '0'],
    ['GIT_SYNC_ALLOWED_HOSTS', 'https://wiki.example.com'],
    ['GIT_SYNC_CORS_ORIGINS', 'wiki.example.com'],
    ['GIT_SYNC_CORS_ORIGINS', 'https://wiki.example.com/path'],
    ['GIT_SYNC_TRUST_PROXY', 'yes please'],
    ['GIT_SYNC_TRUST_PROXY', '10.0.0.0/33'],
    ['GIT_SYNC_TRUST_PROXY', '99'],
    ['GIT_SYNC_ADMIN_TOKEN_SHA256', 'gst_not-a-hash'],
    ['GIT_SYNC_PUSH_DEADLINE_MS', '0'],
    ['GIT_SYNC_SHUTDOWN_GRACE_MS', '10s'],
    ['GIT_SYNC_MAX_FILE_BYTES', '5MiB'],
    ['GIT_SYNC_MAX_PUSH_FILES', '-3'],
    ['GIT_SYNC_MAX_PUSH_BYTES', '0'],
  ])('rejects %s=%s with a ConfigError naming it', (variable, value) => {
    const err = errorOf(() => loadConfig({ [variable]: value }));
    expect(err.name).toBe('ConfigError');
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
    expect(err.issues).toHaveLength(1);
  });

  it('reports every invalid variable at once, without echoing secrets', () => {
    const err = errorOf(() => loadConfig({ PORT: 'x', DATABASE_URL: 'secret-password-not-a-url' }));
    expect(err.issues.map((i) => i.variable).sort()).toEqual(['DATABASE_URL', 'PORT']);
    expect(err.message).not.toContain('secret-password');
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, type EngineOptions } from '../../../src/engine';
import { DATABASE_URL, privateSchema } from '../../support/postgres-schema';

export type BackendName = 'pglite' | 'postgres';

/** Every integration suite runs once per backend. */
export const BACKENDS: BackendName[] = ['pglite', 'postgres'];

/** Declares the suite `body` once per backend, as `describe.each(BACKENDS)` does: `%s` in `title` names the backend. */
export function describeEachBackend(title: string, body: (backend: BackendName) => void): void {
  describe.each(BACKENDS)(title, body);
}

/**
 * A fixture of the enclosing suite: opened before its tests and closed after them. The
 * handle forwards to the open fixture, so a suite names it once where it declares its
 * tests; it can be used only inside tests and hooks that run after the opening.
 */
export function suiteFixture<T extends object>(open: () => Promise<T>, close: (fixture: T) => Promise<void>): T {
  let current: T | undefined;
  beforeAll(async () => {
    current = await open();
  });
  afterAll(async () => {
    const opened = current;
    current = undefined;
    if (opened) await close(opened);
  });
  return new Proxy({} as T, {
    get(_target, key) {
      if (current === undefined) throw new Error(`the suite's fixture is not open (reading ${String(key)})`);
      return Reflect.get(current, key) as unknown;
    },
  });
}

export interface TestBackend {
  name: BackendName;
  /** Engine options that point at this backend (a private schema on PostgreSQL). */
  databaseOptions: Pick<EngineOptions, 'databaseUrl' | 'databaseSchema'>;
  /** Drops what this backend created; never touches other data. */
  dispose(): Promise<void>;
}

/** Names a backend; the engine creates its schema, so there is nothing to create here. */
export function makeBackend(name: BackendName): TestBackend {
  if (name === 'pglite') return { name, databaseOptions: {}, dispose: () => Promise.resolve() };
  const schema = privateSchema('git_sync_test');
  return {
    name,
    databaseOptions: { databaseUrl: DATABASE_URL, databaseSchema: schema.name },
    dispose: () => schema.drop(),
  };
}

export interface TestEngine extends Engine {
  backendName: BackendName;
  tmp: string;
  /** Re-opens the engine on the same data directory and database (for restart and crash tests). */
  reopen(extra?: Partial<EngineOptions>): Promise<Engine>;
  dispose(): Promise<void>;
}

/** An engine on a fresh temp data directory and a fresh database (a private schema on PostgreSQL). */
export async function openTestEngine(name: BackendName, extra: Partial<EngineOptions> = {}): Promise<TestEngine> {
  const tmp = await mkdtemp(join(tmpdir(), 'git-sync-test-'));
  const backend = makeBackend(name);
  const dataDir = join(tmp, 'data');
  const options: EngineOptions = { dataDir, ...backend.databaseOptions, gitTimeoutMs: 30_000, ...extra };
  let engine: Engine;
  try {
    engine = await createEngine(options);
  } catch (error) {
    await backend.dispose();
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  const reopened: Engine[] = [];
  return {
    ...engine,
    backendName: name,
    tmp,
    async reopen(more = {}) {
      const e = await createEngine({ ...options, ...more });
      reopened.push(e);
      return e;
    },
    async dispose() {
      await engine.close();
      for (const e of reopened) await e.close();
      await backend.dispose();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** A test engine on `backend` for the enclosing suite (see `suiteFixture`). */
export function useTestEngine(backend: BackendName, extra: Partial<EngineOptions> = {}): TestEngine {
  return suiteFixture(
    () => openTestEngine(backend, extra),
    (t) => t.dispose(),
  );
}

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import type { DemoCredentials } from '../../src/app/demo-seed';
import {
  closeClient,
  createClient,
  type DisposableRedis,
  startRedisServer,
} from '../../../../packages/space-lock/test/helpers/redis-server';
import { demoCredentials, makeE2eEnv, type E2eEnv } from './support/e2e-env';
import { cloneUrl, GitCli } from './support/git-cli';
import { startServer, type ServerProcess } from './support/server-process';
import { eventually, waitFor } from '../../../../packages/space-lock/test/helpers/wait-for';

/**
 * Two replicas on one PostgreSQL schema, one Redis of the suite's own and one data directory, with
 * git clients and an API editor running throughout, while faults are injected one after another.
 * `npm run chaos` runs the full version (GIT_SYNC_CHAOS=full, about 10 minutes); the normal suite
 * runs the short one (about 2). The invariants come from an audit trail: a trigger on the pages
 * table that records every row written with the space's fence at that moment, and the fence
 * counter seen in Redis.
 */
const FULL = process.env.GIT_SYNC_CHAOS === 'full';
const TTL_MS = 3_000;
const LOAD_MS = FULL ? 45_000 : 8_000;
const CLIENTS = 2;
const PUSH_BUDGET_MS = 60_000;
const RECOVERY_BUDGET_MS = 90_000;
const BUSY = /\b503\b|This space is busy|cannot reach its database|shutting down/;
// A stopped replica never answers: the client gives up on it instead of waiting for ever.
const GIT_BOUNDS = ['-c', 'http.lowSpeedLimit=1', '-c', 'http.lowSpeedTime=8'];

type FaultName = 'sigkill' | 'sigkill-after-push' | 'sigstop' | 'redis-restart' | 'client-pause' | 'pg-terminate';

interface Row {
  fault: string;
  accepted: number;
  busy503: number;
  lost: number;
  staleRefused: number;
  overlaps: number;
  recoveryMs: number;
}

describe('git-sync under faults (chaos)', () => {
  let env: E2eEnv;
  let redis: DisposableRedis;
  let redisDir: string;
  let pool: Pool;
  let demo: DemoCredentials;
  let git: GitCli;
  const everStarted: ServerProcess[] = [];
  let replicas: ServerProcess[] = [];
  const stopped = new Set<ServerProcess>();
  /** Ends the test's load; set while it runs, so a test that times out still stops its clients before teardown. */
  let stopLoad: (() => Promise<unknown>) | undefined;

  async function startReplica(demoOn: boolean): Promise<ServerProcess> {
    const server = await startServer({ ...env.serverEnv, GIT_SYNC_DEMO: demoOn ? 'true' : 'false' });
    everStarted.push(server);
    return server;
  }

  beforeAll(async () => {
    redisDir = await mkdtemp(join(tmpdir(), 'git-sync-chaos-redis-'));
    // Persistent, as a deployment's Redis is: the fence counter must survive a restart.
    redis = await startRedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', redisDir] });
    env = await makeE2eEnv('chaos', 'postgres', {
      REDIS_URL: redis.url,
      GIT_SYNC_LOCK_TTL_MS: String(TTL_MS),
      GIT_SYNC_POLL_INTERVAL_MS: '500',
      GIT_SYNC_DEBOUNCE_MS: '300',
      GIT_SYNC_PUSH_LOCK_WAIT_MS: '2000',
    });
    const first = await startReplica(true);
    demo = await demoCredentials(first, env.dataDir);
    replicas = [first, await startReplica(false)];
    git = new GitCli(env.tmp);
    pool = new Pool({ connectionString: env.serverEnv.DATABASE_URL, max: 2 });
    pool.on('error', () => undefined);
    await pool.query(`
      create table page_audit (
        seq bigserial primary key, page_id uuid not null, revision int not null, title text not null,
        content text not null, source text not null, deleted boolean not null, fence bigint,
        at timestamptz not null default clock_timestamp());
      create function page_audit_row() returns trigger language plpgsql as $$
      begin
        insert into page_audit (page_id, revision, title, content, source, deleted, fence)
        values (new.id, new.revision, new.title, new.content, new.last_updated_source, new.deleted_at is not null,
                (select token from space_fences where space_id = new.space_id));
        return new;
      end $$;
      create trigger page_audit after insert or update on pages for each row execute function page_audit_row();`);
  }, 180_000);

  afterAll(async () => {
    for (const r of everStarted) if (stopped.has(r)) r.proc.kill('SIGCONT');
    await stopLoad?.();
    await Promise.all(everStarted.map((r) => r.stop()));
    await pool?.end();
    await redis?.stop();
    await env?.dispose();
    if (redisDir) await rm(redisDir, { recursive: true, force: true });
  }, 240_000);

  it(
    'loses no accepted push or API edit, applies no stale write and never runs two cycles at once, whatever the fault',
    async () => {
      const faults: FaultName[] = FULL
        ? [
            'sigkill',
            'sigkill-after-push',
            'sigstop',
            'sigstop',
            'sigstop',
            'redis-restart',
            'client-pause',
            'pg-terminate',
          ]
        : ['sigkill', 'sigstop', 'redis-restart', 'client-pause', 'pg-terminate'];
      let phase = 'warm-up';
      const live = () =>
        replicas.filter((r) => !stopped.has(r) && r.proc.exitCode === null && r.proc.signalCode === null);
      const pick = () => {
        const up = live();
        return up[Math.floor(Math.random() * up.length)] ?? replicas[0];
      };
      const url = (r: ServerProcess) => cloneUrl(r.baseUrl, demo.spaceId, demo.username, demo.token);

      const accepted: Array<{ phase: string; commit: string; title: string; at: number }> = [];
      const edits: Array<{ phase: string; n: number; status: number }> = [];
      const busy = new Map<string, number>();
      const countBusy = () => busy.set(phase, (busy.get(phase) ?? 0) + 1);
      const problems: string[] = [];
      let running = true;

      // The fence counter as Redis shows it, sampled throughout: the highest token ever issued.
      const watcher = createClient(redis.url, { maxRetriesPerRequest: 0 });
      const fenceKey = `{${env.lockPrefix}${demo.spaceId}}:fence`;
      let highestIssued = 0;
      const watching = (async () => {
        while (running) {
          const token = Number(await watcher.get(fenceKey).catch(() => null));
          if (token > highestIssued) highestIssued = token;
          await new Promise((r) => setTimeout(r, 100));
        }
      })();

      const welcome = (
        await replicas[0].api<{ id: string; title: string }[]>('GET', `/api/spaces/${demo.spaceId}/pages`)
      ).body.find((p) => p.title === 'Welcome')!;
      const editor = (async () => {
        for (let n = 0; running && n < 10_000; n++) {
          const res = await pick()
            .api('PATCH', `/api/spaces/${demo.spaceId}/pages/${welcome.id}`, {
              content: `# Welcome\n\nAPI edit ${n}\n`,
            })
            .catch(() => ({ status: 0 }));
          edits.push({ phase, n, status: res.status });
          if (res.status === 503) countBusy();
          await new Promise((r) => setTimeout(r, 700));
        }
      })();

      const client = async (i: number) => {
        const dir = join(env.tmp, `chaos-client-${i}`);
        await git.ok(['clone', '-q', url(replicas[0]), dir]);
        for (let n = 0; running && n < 10_000; n++) {
          const title = `Chaos ${i} ${n}`;
          await writeFile(join(dir, `${title}.md`), `pushed by client ${i}, push ${n}\n`);
          await git.ok(['add', '-A'], dir);
          await git.ok(['commit', '-q', '-m', title], dir);
          const deadline = Date.now() + PUSH_BUDGET_MS;
          for (let attempt = 0; attempt < 500; attempt++) {
            const commit = await git.ok(['rev-parse', 'HEAD'], dir);
            const remote = url(pick());
            const pushed = await git.run([...GIT_BOUNDS, 'push', remote, 'HEAD:main'], dir);
            if (pushed.code === 0) {
              accepted.push({ phase, commit, title, at: Date.now() });
              break;
            }
            if (BUSY.test(pushed.stderr)) countBusy();
            if (Date.now() > deadline) {
              // Given up, as a client would: its commit is dropped, so nothing is claimed for it.
              await git.run([...GIT_BOUNDS, 'fetch', '-q', url(pick()), 'main'], dir);
              await git.run(['reset', '-q', '--hard', 'FETCH_HEAD'], dir);
              break;
            }
            await new Promise((r) => setTimeout(r, 200 + Math.random() * 400));
            await git.run([...GIT_BOUNDS, 'pull', '-q', '--rebase', url(pick()), 'main'], dir);
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
      stopLoad = () => {
        running = false;
        return Promise.allSettled([...clients, editor, watching]);
      };

      const staleRefusals = () =>
        everStarted.reduce(
          (n, r) => n + r.logs.filter((l) => JSON.stringify(l).includes('StaleFencingTokenError')).length,
          0,
        );
      const overlapsNow = async () => {
        let n = 0;
        for (const r of live())
          n += (
            await r
              .api<{ workTreeOverlaps: number }>('GET', '/api/git-sync/status')
              .catch(() => ({ body: { workTreeOverlaps: 0 } }))
          ).body.workTreeOverlaps;
        return n;
      };
      /**
       * The time from the fault's end until the replicas accept a push again: any client's, or a probe's
       * pushed through each live replica in turn. The probe ensures an attempt is made; on a saturated
       * machine the clients' pushes win the race to main more often, and they show recovery just as well.
       */
      const recovery = async (from: number): Promise<number> => {
        const firstAcceptedSince = () => Math.min(...accepted.filter((a) => a.at >= from).map((a) => a.at));
        const dir = join(env.tmp, `probe-${from}`);
        await git.ok(['clone', '-q', url(live()[0] ?? replicas[0]), dir]);
        await writeFile(join(dir, `Probe ${from}.md`), 'probe\n');
        await git.ok(['add', '-A'], dir);
        await git.ok(['commit', '-q', '-m', 'probe'], dir);
        const deadline = Date.now() + RECOVERY_BUDGET_MS;
        while (Date.now() < deadline) {
          const pushed = await git.run([...GIT_BOUNDS, 'push', url(pick()), 'HEAD:main'], dir);
          if (pushed.code === 0) {
            accepted.push({
              phase,
              commit: await git.ok(['rev-parse', 'HEAD'], dir),
              title: `Probe ${from}`,
              at: Date.now(),
            });
          }
          const first = firstAcceptedSince();
          if (first < Infinity) return first - from;
          await new Promise((r) => setTimeout(r, 200));
          await git.run([...GIT_BOUNDS, 'pull', '-q', '--rebase', url(pick()), 'main'], dir);
        }
        const first = firstAcceptedSince();
        if (first < Infinity) return first - from;
        problems.push(`${phase}: no push accepted within ${RECOVERY_BUDGET_MS} ms of the fault's end`);
        return RECOVERY_BUDGET_MS;
      };

      const rows: Row[] = [];
      const pidsOf = () => live().map((r) => r.proc.pid);
      try {
        await new Promise((r) => setTimeout(r, LOAD_MS / 2));
        for (const [index, fault] of faults.entries()) {
          phase = `${fault}#${index}`;
          const refusedBefore = staleRefusals();
          const overlapsBefore = await overlapsNow();
          await new Promise((r) => setTimeout(r, LOAD_MS / 2));
          const victim = replicas[index % 2];
          let faultEnd: number;
          switch (fault) {
            case 'sigkill':
            case 'sigkill-after-push': {
              const seen = victim.logs.length;
              // After receive-pack: the moment the victim reports a push served, before its cycle's end.
              if (fault === 'sigkill-after-push') {
                await waitFor(
                  'a push served by the victim',
                  () =>
                    victim.logs
                      .slice(seen)
                      .some((l) => l.msg === 'git request served' && String(l.endpoint).includes('receive-pack')),
                  60_000,
                ).catch(() => undefined);
              } else {
                await waitFor(
                  'a cycle by the victim',
                  () => victim.logs.slice(seen).some((l) => l.msg === 'cycle done'),
                  60_000,
                ).catch(() => undefined);
              }
              victim.proc.kill('SIGKILL');
              await waitFor(
                'the victim to exit',
                () => victim.proc.exitCode !== null || victim.proc.signalCode !== null,
                60_000,
              );
              faultEnd = Date.now();
              replicas[index % 2] = await startReplica(false);
              break;
            }
            case 'sigstop': {
              // At a different point of the load each time: the stop lands wherever the replica is.
              await new Promise((r) => setTimeout(r, Math.random() * 1_500));
              stopped.add(victim);
              victim.proc.kill('SIGSTOP');
              await new Promise((r) => setTimeout(r, 2 * TTL_MS));
              victim.proc.kill('SIGCONT');
              stopped.delete(victim);
              faultEnd = Date.now();
              break;
            }
            case 'redis-restart':
              await redis.restart();
              faultEnd = Date.now();
              break;
            case 'client-pause': {
              const admin = createClient(redis.url);
              await admin.call('CLIENT', 'PAUSE', String(2 * TTL_MS), 'ALL');
              await closeClient(admin);
              await new Promise((r) => setTimeout(r, 2 * TTL_MS));
              faultEnd = Date.now();
              break;
            }
            case 'pg-terminate': {
              // Only this suite's replicas: other suites share the server.
              const names = pidsOf().map((pid) => `git-sync:${pid}`);
              await pool.query(
                'select pg_terminate_backend(pid) from pg_stat_activity where application_name = any($1)',
                [names],
              );
              faultEnd = Date.now();
              break;
            }
          }
          const recoveryMs = await recovery(faultEnd);
          await new Promise((r) => setTimeout(r, LOAD_MS / 2));
          rows.push({
            fault: phase,
            accepted:
              accepted.filter((a) => a.phase === phase).length +
              edits.filter((e) => e.phase === phase && e.status < 300 && e.status >= 200).length,
            busy503: busy.get(phase) ?? 0,
            lost: 0,
            staleRefused: staleRefusals() - refusedBefore,
            overlaps: (await overlapsNow()) - overlapsBefore,
            recoveryMs,
          });
        }
      } finally {
        running = false;
        await Promise.all([...clients, editor, watching]);
        await closeClient(watcher);
      }

      // Quiet now: the replicas' polls settle the store and main.
      const vault = join(env.dataDir, demo.spaceId);
      const store = await eventually(
        async () => {
          const pages = (
            await live()[0].api<{ id: string; title: string }[]>('GET', `/api/spaces/${demo.spaceId}/pages`)
          ).body;
          const titles = new Set(pages.map((p) => p.title));
          return accepted.every((a) => titles.has(a.title)) ? titles : undefined;
        },
        'every accepted push in the page store',
        120_000,
      ).catch(() => undefined);
      const titles =
        store ??
        new Set(
          (await live()[0].api<{ title: string }[]>('GET', `/api/spaces/${demo.spaceId}/pages`)).body.map(
            (p) => p.title,
          ),
        );
      for (const a of accepted) {
        const onMain = (await git.run(['merge-base', '--is-ancestor', a.commit, 'main'], vault)).code === 0;
        if (!titles.has(a.title) || !onMain) {
          const row = rows.find((r) => r.fault === a.phase);
          if (row) row.lost++;
          problems.push(`${a.phase}: accepted push ${a.title} lost (store: ${titles.has(a.title)}, main: ${onMain})`);
        }
      }
      const lastAccepted = edits.filter((e) => e.status >= 200 && e.status < 300).pop();
      if (lastAccepted) {
        const finalText = await eventually(
          async () => {
            const page = (
              await live()[0].api<{ content: string }>('GET', `/api/spaces/${demo.spaceId}/pages/${welcome.id}`)
            ).body;
            const n = Number(/API edit (\d+)/.exec(page.content)?.[1] ?? -1);
            return n >= lastAccepted.n ? page.content : undefined;
          },
          'the last accepted API edit in the store',
          60_000,
        ).catch(() => undefined);
        if (finalText === undefined) problems.push(`API edit ${lastAccepted.n} (${lastAccepted.phase}) lost`);
      }

      // The audit trail: no revision goes backwards, no git-sync write carries a token below one applied before it.
      const audit = (
        await pool.query<{ page_id: string; revision: number; source: string; fence: string | null }>(
          'select page_id, revision, source, fence from page_audit order by seq',
        )
      ).rows;
      const lastRevision = new Map<string, number>();
      let regressions = 0;
      let staleApplied = 0;
      let highestApplied = 0;
      for (const row of audit) {
        if ((lastRevision.get(row.page_id) ?? 0) >= row.revision) regressions++;
        lastRevision.set(row.page_id, row.revision);
        if (row.source === 'git-sync' && row.fence !== null) {
          if (Number(row.fence) < highestApplied) staleApplied++;
          highestApplied = Math.max(highestApplied, Number(row.fence));
        }
      }

      // Read after the audit, so every token the audit shows had been issued by then.
      const reader = createClient(redis.url);
      const issuedAtEnd = Math.max(highestIssued, Number(await reader.get(fenceKey)));
      await closeClient(reader);

      const mains = await eventually(
        async () => {
          const heads = await Promise.all(
            live().map(
              async (r) =>
                (await git.run([...GIT_BOUNDS, 'ls-remote', url(r), 'refs/heads/main'])).stdout.split(/\s/)[0],
            ),
          );
          return heads.every((h) => h === heads[0]) ? heads : undefined;
        },
        'both replicas serving the same main',
        60_000,
      ).catch(() => undefined);

      const table = [
        '| fault | accepted | 503 | lost | stale writes refused | overlaps | recovery (ms) |',
        '|:--|--:|--:|--:|--:|--:|--:|',
        ...rows.map(
          (r) =>
            `| ${r.fault} | ${r.accepted} | ${r.busy503} | ${r.lost} | ${r.staleRefused} | ${r.overlaps} | ${r.recoveryMs} |`,
        ),
      ].join('\n');
      console.log(
        `${FULL ? 'full' : 'short'} chaos run, lock TTL ${TTL_MS} ms\n${table}\n` +
          `audit rows ${audit.length}, revision regressions ${regressions}, stale writes applied ${staleApplied}, ` +
          `highest token applied ${highestApplied}, highest issued ${issuedAtEnd}, same main on both replicas: ${mains !== undefined}\n` +
          (problems.length ? `problems:\n${problems.join('\n')}` : ''),
      );

      expect(problems).toEqual([]);
      expect(rows.every((r) => r.lost === 0 && r.overlaps === 0)).toBe(true);
      expect(regressions).toBe(0);
      expect(staleApplied).toBe(0);
      // With Redis configured the replicas fence: their writes carry tokens the trigger saw.
      expect(highestApplied).toBeGreaterThan(0);
      expect(highestApplied).toBeLessThanOrEqual(issuedAtEnd);
      expect(mains).toBeDefined();
      expect(accepted.length).toBeGreaterThan(0);
    },
    // Bounds, not expectations: on a saturated 2-core machine each fault's recovery and restarts take minutes.
    FULL ? 1_800_000 : 900_000,
  );
});

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DemoCredentials } from '../../src/app/demo-seed';
import { startDemoServer, type DemoServer, type E2eEnv } from './support/e2e-env';
import { cloneUrl, GitCli } from './support/git-cli';
import type { ServerProcess } from './support/server-process';
import { eventually } from '../../../../packages/space-lock/test/helpers/wait-for';

const CLIENTS = 5;
const PUSHES_PER_CLIENT = 4;
// Git's own contention (non-fast-forward: someone else's push or a cycle's
// commit landed first) and a busy space (503, "retry in a moment") are
// retried for up to this long per push, as a client would. Every accepted
// push and every API edit moves main, so each attempt races the other four
// clients; on a saturated 2-core machine an attempt takes seconds, and the
// budget must hold enough of them that losing every one is negligible.
const PUSH_BUDGET_MS = 120_000;
// Polls never starve a push: a waiting push makes every replica's cycles step aside.
const MIN_ACCEPTED_SHARE = 0.95;
// Each API edit becomes a commit on main a debounce later; much more often
// than this and, on a loaded 2-core machine, a client's pull-then-push
// rarely fits between two moves of main.
const API_EDIT_EVERY_MS = 1_500;
const API_EDITS_MAX = 300;

// The busy answer is a 503 before the push's pack is sent, or, once a push has
// waited long enough to be told so on a remote: line, the same message in-band.
const BUSY = /\b503\b|This space is busy: a sync is running/;

type Outcome = {
  client: number;
  push: number;
  commit: string;
  result: 'accepted' | 'refused-503';
  attempts: number;
  busy: number;
};

interface StatusBody {
  workTreeOverlaps: number;
  spaces?: Record<string, unknown>;
}

/**
 * Two server processes (replicas) on one Redis, one PostgreSQL page store and
 * one data directory, as a multi-replica deployment runs them. PostgreSQL
 * only: an embedded PGlite database belongs to a single process.
 */
describe('two replicas under concurrent pushes, polls and API edits', () => {
  let suite: DemoServer;
  let env: E2eEnv;
  let replicas: ServerProcess[] = [];
  let demo: DemoCredentials;
  let git: GitCli;

  beforeAll(async () => {
    suite = await startDemoServer('replicas', 'postgres', {
      GIT_SYNC_POLL_INTERVAL_MS: '200',
      GIT_SYNC_DEBOUNCE_MS: '250',
      GIT_SYNC_PUSH_LOCK_WAIT_MS: '1500',
      GIT_SYNC_LOCK_TTL_MS: '10000',
    });
    ({ env, demo } = suite);
    replicas = [suite.server, await suite.startReplica()];
    git = new GitCli(env.tmp);
  });

  afterAll(async () => {
    await suite?.stop();
  });

  it('every push is accepted (on main, in the store) or refused with 503 (absent), at least 95% are accepted, and no two cycles overlap', async () => {
    const urls = replicas.map((r) => cloneUrl(r.baseUrl, demo.spaceId, demo.username, demo.token));
    const welcome = (
      await replicas[0].api<{ id: string; title: string }[]>('GET', `/api/spaces/${demo.spaceId}/pages`)
    ).body.find((p) => p.title === 'Welcome')!;

    let pushing = true;
    let apiEdits = 0;
    const editor = (async () => {
      // Wiki edits through both replicas while the pushes run; each one schedules a debounced cycle.
      while (pushing && apiEdits < API_EDITS_MAX) {
        const replica = replicas[apiEdits % replicas.length];
        const res = await replica.api('PATCH', `/api/spaces/${demo.spaceId}/pages/${welcome.id}`, {
          content: `# Welcome\n\nAPI edit ${apiEdits}\n`,
        });
        expect(res.status).toBe(200);
        apiEdits++;
        await new Promise((r) => setTimeout(r, API_EDIT_EVERY_MS));
      }
    })();

    const outcomes: Outcome[] = [];
    const unexpected: string[] = [];
    const client = async (i: number) => {
      const dir = join(env.tmp, `client-${i}`);
      await git.ok(['clone', '-q', urls[i % urls.length], dir]);
      for (let n = 0; n < PUSHES_PER_CLIENT; n++) {
        await writeFile(join(dir, `Client ${i} push ${n}.md`), `pushed by client ${i}, push ${n}\n`);
        await git.ok(['add', '-A'], dir);
        await git.ok(['commit', '-q', '-m', `client ${i} push ${n}`], dir);
        const remote = urls[(i + n) % urls.length];
        let settled = false;
        let lastError = '';
        let busy = 0;
        const deadline = Date.now() + PUSH_BUDGET_MS;
        const vault = join(env.dataDir, demo.spaceId);
        for (let attempt = 1; !settled; attempt++) {
          const commit = await git.ok(['rev-parse', 'HEAD'], dir);
          const pushed = await git.run(['push', remote, 'HEAD:main'], dir);
          lastError = pushed.stderr;
          const outOfTime = Date.now() >= deadline;
          if (pushed.code === 0) {
            outcomes.push({ client: i, push: n, commit, result: 'accepted', attempts: attempt, busy });
            settled = true;
          } else if (BUSY.test(pushed.stderr)) {
            busy++;
            // A busy answer means receive-pack never ran: the commit must not be on main.
            const onMain = (await git.run(['merge-base', '--is-ancestor', commit, 'main'], vault)).code === 0;
            if (onMain) unexpected.push(`client ${i} push ${n}: refused as busy, yet ${commit} is on main`);
            if (outOfTime) {
              outcomes.push({ client: i, push: n, commit, result: 'refused-503', attempts: attempt, busy });
              // The client gives this commit up, so its absence from main can be checked.
              await git.ok(['fetch', '-q', remote, 'main'], dir);
              await git.ok(['reset', '-q', '--hard', 'FETCH_HEAD'], dir);
              settled = true;
            } else {
              // Retry-After: 1 is what the server asks for; a little jitter keeps five clients out of step.
              await new Promise((r) => setTimeout(r, 500 + Math.random() * 500));
            }
          } else if (/non-fast-forward|fetch first|rejected/.test(pushed.stderr)) {
            if (outOfTime) break;
            // Someone else pushed (or a cycle committed) first: an ordinary git outcome; rebase and try again.
            // Jittered backoff, as a retrying client does, so five clients do not keep colliding in step.
            await new Promise((r) => setTimeout(r, Math.random() * 150 * Math.min(attempt, 4)));
            const pulled = await git.run(['pull', '-q', '--rebase', remote, 'main'], dir);
            if (pulled.code !== 0 && !BUSY.test(pulled.stderr))
              unexpected.push(`pull by client ${i}: ${pulled.stderr}`);
            if (pulled.code !== 0) lastError += `\n(pull) ${pulled.stderr}`;
          } else {
            unexpected.push(`push by client ${i}: ${pushed.stderr}`);
            settled = true;
          }
        }
        if (!settled) unexpected.push(`client ${i} push ${n} never settled; last error:\n${lastError}`);
      }
    };

    try {
      await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
    } finally {
      pushing = false;
      await editor;
    }

    if (unexpected.length > 0) {
      // What the servers saw is the first thing to read when a push misbehaves.
      for (const [n, r] of replicas.entries()) {
        const problems = r.logs.filter((l) => Number(l.level) >= 40).slice(-20);
        unexpected.push(`replica ${n} warnings and errors:\n${problems.map((l) => JSON.stringify(l)).join('\n')}`);
      }
    }
    expect(unexpected).toEqual([]);
    expect(outcomes).toHaveLength(CLIENTS * PUSHES_PER_CLIENT);
    const accepted = outcomes.filter((o) => o.result === 'accepted');
    const retried = outcomes.filter((o) => o.attempts > 1);
    console.log(
      `pushes: ${outcomes.length}, accepted ${accepted.length} (${((100 * accepted.length) / outcomes.length).toFixed(0)}%), ` +
        `needed a retry ${retried.length} (503s along the way: ${outcomes.reduce((n, o) => n + o.busy, 0)}, ` +
        `most attempts for one push: ${Math.max(...outcomes.map((o) => o.attempts))}), API edits ${apiEdits}`,
    );
    // Enough pushes must land for the check below to mean anything.
    expect(accepted.length).toBeGreaterThanOrEqual((CLIENTS * PUSHES_PER_CLIENT) / 2);
    expect(accepted.length).toBeGreaterThanOrEqual(Math.ceil(MIN_ACCEPTED_SHARE * CLIENTS * PUSHES_PER_CLIENT));
    expect(apiEdits).toBeGreaterThan(0);

    const vault = join(env.dataDir, demo.spaceId);
    for (const o of outcomes) {
      const onMain = (await git.run(['merge-base', '--is-ancestor', o.commit, 'main'], vault)).code === 0;
      expect({ ...o, onMain }).toEqual({ ...o, onMain: o.result === 'accepted' });
    }

    const titles = await eventually(async () => {
      const pages = (await replicas[1].api<{ title: string }[]>('GET', `/api/spaces/${demo.spaceId}/pages`)).body;
      const have = new Set(pages.map((p) => p.title));
      return accepted.every((o) => have.has(`Client ${o.client} push ${o.push}`)) ? have : undefined;
    }, 'every accepted push in the page store');
    for (const o of outcomes.filter((x) => x.result === 'refused-503')) {
      expect(titles.has(`Client ${o.client} push ${o.push}`)).toBe(false);
    }

    for (const replica of replicas) {
      const status = await replica.api<StatusBody>('GET', '/api/git-sync/status');
      expect(status.body.workTreeOverlaps).toBe(0);
    }
    // Both replicas really ran cycles on the space: the contention was real.
    const ranOn = replicas.map((r) => r.logs.some((l) => l.msg === 'cycle done' && l.spaceId === demo.spaceId));
    expect(ranOn).toEqual([true, true]);
  }, 600_000);
});

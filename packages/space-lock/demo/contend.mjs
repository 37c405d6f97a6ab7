#!/usr/bin/env node
// Several replicas contend for a few spaces for a bounded time, then the run
// is checked: no two holders of one space may ever have overlapped.
//
// With a Redis (REDIS_URL, else 127.0.0.1:6379) every replica is its own
// process with its own SpaceLock and connection, as in production. Without
// one, the replicas are SpaceLock instances in this process sharing one
// MemoryLockStore.
//
//   node demo/contend.mjs
//   SPACE_LOCK_DEMO_STORE=memory node demo/contend.mjs   # force the in-memory store
//   SPACE_LOCK_DEMO_STORE=redis  node demo/contend.mjs   # fail if no Redis answers
//   SPACE_LOCK_DEMO_MS=2000      node demo/contend.mjs   # contend for 2 s instead of 5
//   SPACE_LOCK_DEMO_FAULT=split-brain node demo/contend.mjs
//     # each replica locks in its own key space, so they do not exclude each
//     # other: shows that the final check does catch overlaps
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { MemoryLockStore, SpaceLock, isSpaceLockSkip } from 'space-lock';

const REPLICAS = 4;
const SPACES = ['alpha', 'beta', 'gamma'];
const TTL_MS = 2_000;
const DURATION_MS = boundedInt(process.env.SPACE_LOCK_DEMO_MS, 5_000, 100, 60_000);
const SPLIT_BRAIN = process.env.SPACE_LOCK_DEMO_FAULT === 'split-brain';
const MAX_ROUNDS_PER_REPLICA = 10_000;
// Time allowed for children to start, connect, finish their last hold and exit.
const BOOT_TIMEOUT_MS = 10_000;
const EXIT_GRACE_MS = 10_000;

function boundedInt(raw, fallback, min, max) {
  const n = Number(raw);
  return Number.isInteger(n) && n >= min && n <= max ? n : fallback;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const between = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo));

const quietLogger = {
  log: () => undefined,
  warn: (message) => console.warn(`  ! ${message}`),
  error: (message) => console.error(`  ! ${message}`),
};

/**
 * One replica's life: pick a space, try to hold it for a short critical
 * section, repeat until the deadline. Times come from Date.now(), the host's
 * clock, which every replica process on this machine shares.
 */
async function contend({ name, lock, deadline, emit }) {
  let holds = 0;
  let skips = 0;
  for (let round = 0; round < MAX_ROUNDS_PER_REPLICA && Date.now() < deadline; round++) {
    const space = pick(SPACES);
    const out = await lock.withSpaceLock(
      space,
      async ({ signal }) => {
        const start = Date.now();
        emit({ type: 'start', replica: name, space, at: start });
        await sleep(between(40, 160));
        // Stamped before the release is sent, so the interval lies inside the real hold.
        emit({ type: 'end', replica: name, space, start, end: Date.now(), lost: signal.aborted });
      },
      { acquireRetry: { totalMs: 150, baseMs: 10, maxMs: 40 } },
    );
    if (isSpaceLockSkip(out)) skips++;
    else holds++;
    await sleep(between(0, 30));
  }
  return { holds, skips };
}

/** Returns every pair of intervals on one space that overlap. */
function findOverlaps(intervals) {
  const bySpace = new Map();
  for (const iv of intervals) {
    if (!bySpace.has(iv.space)) bySpace.set(iv.space, []);
    bySpace.get(iv.space).push(iv);
  }
  const overlaps = [];
  for (const list of bySpace.values()) {
    list.sort((a, b) => a.start - b.start || a.end - b.end);
    // Compare each start with the latest end so far, not just the previous interval's.
    let latest = list[0];
    for (const iv of list.slice(1)) {
      if (iv.start < latest.end) overlaps.push([latest, iv]);
      if (iv.end > latest.end) latest = iv;
    }
  }
  return overlaps;
}

async function redisAnswers(url) {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG' ? client : (client.disconnect(), undefined);
  } catch {
    client.disconnect();
    return undefined;
  }
}

async function deletePrefix(client, prefix) {
  let cursor = '0';
  for (let i = 0; i < 10_000; i++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await client.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
}

/** Runs in a forked child: one replica with its own SpaceLock and connection, reporting over IPC. */
async function replicaMain([name, url, keyPrefix]) {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const lock = new SpaceLock({ redis, keyPrefix, ttlMs: TTL_MS, logger: quietLogger });
  await redis.ping();
  const go = new Promise((resolve) => process.once('message', resolve));
  process.send({ type: 'ready', replica: name, instanceId: lock.instanceId });
  const { deadline } = await go;
  const summary = await contend({ name, lock, deadline, emit: (event) => process.send(event) });
  await lock.close({ graceMs: 1_000 });
  await redis.quit();
  process.send({ type: 'done', replica: name, ...summary }, () => process.disconnect());
}

function report(event, t0, intervals) {
  if (event.type === 'start') {
    const t = ((event.at - t0) / 1000).toFixed(3).padStart(7);
    console.log(`${t}s  ${event.space.padEnd(6)} held by ${event.replica}`);
  } else if (event.type === 'end') {
    intervals.push(event);
    if (event.lost) console.log(`          ${event.space.padEnd(6)} ${event.replica} LOST its lock during the hold`);
  }
}

async function runInProcesses(url, keyPrefix, intervals, summaries) {
  const self = fileURLToPath(import.meta.url);
  const children = Array.from({ length: REPLICAS }, (_, i) =>
    fork(self, ['replica', `replica-${i + 1}`, url, SPLIT_BRAIN ? `${keyPrefix}${i}:` : keyPrefix], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const exited = children.map(
    (child) => new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal))),
  );
  const kill = () =>
    children.forEach((child) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  let t0 = 0;
  try {
    const ready = children.map(
      (child) =>
        new Promise((resolve, reject) => {
          child.once('message', resolve);
          child.once('exit', (code) => reject(new Error(`a replica exited (${code}) before it was ready`)));
        }),
    );
    let bootTimer;
    const bootTimeout = new Promise((_, reject) => {
      bootTimer = setTimeout(
        () => reject(new Error(`replicas not ready within ${BOOT_TIMEOUT_MS} ms`)),
        BOOT_TIMEOUT_MS,
      );
    });
    await Promise.race([Promise.all(ready), bootTimeout]).finally(() => clearTimeout(bootTimer));

    t0 = Date.now();
    const deadline = t0 + DURATION_MS;
    for (const child of children) {
      child.on('message', (event) => (event.type === 'done' ? summaries.push(event) : report(event, t0, intervals)));
      child.send({ deadline });
    }
    let exitTimer;
    const exitTimeout = new Promise((resolve) => {
      exitTimer = setTimeout(() => resolve('timeout'), DURATION_MS + EXIT_GRACE_MS);
    });
    const codes = await Promise.race([Promise.all(exited), exitTimeout]).finally(() => clearTimeout(exitTimer));
    if (codes === 'timeout') throw new Error('replicas did not finish in time');
    if (codes.some((code) => code !== 0)) throw new Error(`a replica failed (exit codes ${codes.join(', ')})`);
  } finally {
    kill();
  }
}

async function runInOneProcess(keyPrefix, intervals, summaries) {
  const store = new MemoryLockStore();
  const t0 = Date.now();
  const deadline = t0 + DURATION_MS;
  await Promise.all(
    Array.from({ length: REPLICAS }, async (_, i) => {
      const name = `replica-${i + 1}`;
      const lock = new SpaceLock({
        store: SPLIT_BRAIN ? new MemoryLockStore() : store,
        keyPrefix,
        ttlMs: TTL_MS,
        logger: quietLogger,
      });
      const summary = await contend({ name, lock, deadline, emit: (event) => report(event, t0, intervals) });
      await lock.close({ graceMs: 1_000 });
      summaries.push({ replica: name, ...summary });
    }),
  );
}

async function main() {
  const wanted = process.env.SPACE_LOCK_DEMO_STORE ?? 'auto';
  if (!['auto', 'redis', 'memory'].includes(wanted))
    throw new Error(`SPACE_LOCK_DEMO_STORE must be auto, redis or memory, got ${wanted}`);
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const admin = wanted === 'memory' ? undefined : await redisAnswers(url);
  if (wanted === 'redis' && admin === undefined) throw new Error(`no Redis answers at ${url}`);

  const keyPrefix = `space-lock-demo:${randomBytes(4).toString('hex')}:`;
  const intervals = [];
  const summaries = [];
  const seconds = (DURATION_MS / 1000).toFixed(1);
  if (SPLIT_BRAIN) console.log('fault injected: the replicas do not share their locks (split-brain)');
  try {
    if (admin !== undefined) {
      console.log(
        `space-lock demo: ${REPLICAS} replicas as separate processes on Redis at ${url}, ${SPACES.length} spaces, ${seconds} s`,
      );
      await runInProcesses(url, keyPrefix, intervals, summaries);
    } else {
      console.log(
        `space-lock demo: ${REPLICAS} replicas as SpaceLock instances in one process on the in-memory store (no Redis), ${SPACES.length} spaces, ${seconds} s`,
      );
      await runInOneProcess(keyPrefix, intervals, summaries);
    }
  } finally {
    if (admin !== undefined) {
      await deletePrefix(admin, keyPrefix);
      await admin.quit();
    }
  }

  console.log('');
  for (const { replica, holds, skips } of summaries.sort((a, b) => a.replica.localeCompare(b.replica))) {
    console.log(`${replica}: ${holds} holds, ${skips} skipped (space busy)`);
  }
  const overlaps = findOverlaps(intervals);
  const lost = intervals.filter((iv) => iv.lost);
  for (const [a, b] of overlaps) {
    console.log(`OVERLAP on ${a.space}: ${a.replica} [${a.start}, ${a.end}] and ${b.replica} [${b.start}, ${b.end}]`);
  }
  if (intervals.length === 0) {
    console.log('no-overlap check: FAILED, nobody held any space');
    return 1;
  }
  if (overlaps.length > 0 || lost.length > 0) {
    console.log(`no-overlap check: FAILED, ${overlaps.length} overlapping holds, ${lost.length} lost locks`);
    return 1;
  }
  console.log(
    `no-overlap check: OK, ${intervals.length} holds on ${SPACES.length} spaces, no two holders of one space overlapped`,
  );
  return 0;
}

if (process.argv[2] === 'replica') {
  replicaMain(process.argv.slice(3)).catch((err) => {
    console.error(`${process.argv[3]}: ${err.message}`);
    process.exit(1);
  });
} else {
  main().then(
    (code) => (process.exitCode = code),
    (err) => {
      console.error(`space-lock demo failed: ${err.message}`);
      process.exitCode = 1;
    },
  );
}

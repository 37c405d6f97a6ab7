#!/usr/bin/env node
// withSpaceLock side by side with raw ioredis and peer lock libraries, in one
// run, on one Redis, each contender on its own ioredis client built with the
// same options:
//   (a) sequential latency (p50/p99) of acquire + empty critical section + release;
//   (b) throughput of 64 concurrent callers on distinct keys, with and without
//       ioredis auto-pipelining;
//   (c) hand-off: from a release to the start of the fn of a holder that was
//       waiting for it, each library waiting with its own default retry, with
//       holder and waiter in one process, and in two;
//   (d) 10,000 holds at once: refresh commands per second, event-loop delay
//       p99 and heap bytes per hold (the locks that keep holds alive themselves).
// The lock runs three times: with its defaults (which wake the waiters of
// other processes on release), with fencing tokens, and with
// `wakeOnRelease: false` (the polling of a replica that does not publish);
// the cost of fencing is printed as a ratio.
// Contenders are interleaved so that drift (CPU frequency, other load, Redis
// state) hits them all alike: sequential operations in blocks of a few, the
// contenders in a fresh random order each cycle; parallel windows in a fresh
// random order each round, the ratio to raw taken per round and its median
// reported. Nothing is asserted: the figures are printed, with each one's
// ratio to raw ioredis.
//
//   npm run bench                    # Redis at REDIS_URL, else 127.0.0.1:6379, else a redis-server from PATH
//   BENCH_SCALE=0.25 npm run bench   # shorter run
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, connect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { Redlock as SesameRedlock } from '@sesamecare-oss/redlock';
import Redlock5 from 'redlock';
import { Mutex } from 'redis-semaphore';
import { SpaceLock, isSpaceLockSkip } from 'space-lock';

const SCALE = Math.min(4, Math.max(0.05, Number(process.env.BENCH_SCALE) || 1));
const TTL_MS = 30_000;
const CONCURRENCY = 64;
const SEQ = { warmup: 500, block: 10, maxPerContender: 40_000, budgetMs: 20_000 * SCALE };
const PAR = { warmupMs: 200 * SCALE, rounds: 12, windowMs: 250 * SCALE };
const HANDOFF_TRIALS = Math.max(5, Math.round(20 * SCALE));
const PREFIX = `space-lock-bench:${randomBytes(4).toString('hex')}:`;

// ---------------------------------------------------------------- Redis to use

function pingTcp(host, port, timeoutMs = 500) {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (chunk) => done(chunk.toString('latin1').startsWith('+PONG')));
    socket.once('error', () => done(false));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** REDIS_URL, else 127.0.0.1:6379, else a throwaway redis-server (stopped by the returned function). */
async function redisForBench() {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => undefined };
  if (await pingTcp('127.0.0.1', 6379)) return { url: 'redis://127.0.0.1:6379', stop: async () => undefined };
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error) {
    throw new Error(
      'No Redis: set REDIS_URL, run one on 127.0.0.1:6379, or install redis-server (e.g. `apt-get install -y redis-server`)',
    );
  }
  return ownRedis();
}

/** A redis-server of the bench's own on a free loopback port, for figures no other client may disturb. */
async function ownRedis() {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 200 && !(await pingTcp('127.0.0.1', port, 100)); i++) await sleep(25);
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

// ---------------------------------------------------------------- contenders

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const empty = async () => undefined;

const RELEASE_LUA = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * Each contender turns a client into `op(key)`: acquire, run an empty critical
 * section, release. An op that fails to acquire throws: a skipped lock would
 * otherwise be counted as a (fast) success.
 */
const CONTENDERS = [
  {
    name: 'raw ioredis (floor)',
    make(client, keyPrefix) {
      client.defineCommand('benchRelease', { numberOfKeys: 1, lua: RELEASE_LUA });
      const token = randomUUID();
      return async (key) => {
        const fullKey = keyPrefix + key;
        if ((await client.set(fullKey, token, 'PX', TTL_MS, 'NX')) !== 'OK') throw new Error(`raw: ${key} is held`);
        await empty();
        await client.benchRelease(fullKey, token);
      };
    },
  },
  spaceLockContender('space-lock withSpaceLock', {}),
  spaceLockContender('space-lock withSpaceLock, fencing', { fencing: true }),
  spaceLockContender('space-lock withSpaceLock, wakeOnRelease: false', { wakeOnRelease: false }),
  {
    name: 'redis-semaphore Mutex',
    make(client, keyPrefix) {
      return async (key) => {
        const mutex = new Mutex(client, keyPrefix + key, { lockTimeout: TTL_MS, acquireAttemptsLimit: 1 });
        if (!(await mutex.tryAcquire())) throw new Error(`redis-semaphore: ${key} is held`);
        await empty();
        await mutex.release();
      };
    },
  },
  {
    name: '@sesamecare-oss/redlock',
    make(client, keyPrefix) {
      const redlock = new SesameRedlock([client], { retryCount: 0 });
      redlock.on('error', () => undefined);
      return async (key) => {
        const lock = await redlock.acquire([keyPrefix + key], TTL_MS);
        await empty();
        await lock.release();
      };
    },
  },
  {
    name: 'redlock 5.0.0-beta.2',
    make(client, keyPrefix) {
      const redlock = new Redlock5([client], { retryCount: 0 });
      redlock.on('error', () => undefined);
      return async (key) => {
        const lock = await redlock.acquire([keyPrefix + key], TTL_MS);
        await empty();
        await lock.release();
      };
    },
  },
];

const countingLogger = {
  warnings: 0,
  log() {},
  warn(message) {
    this.warnings++;
    if (this.warnings <= 3) console.warn(`space-lock warned: ${message}`);
  },
  error(message) {
    console.error(`space-lock error: ${message}`);
  },
};

/** One SpaceLock of the bench, closed at the end; `options` are what its row varies. */
function benchSpaceLock(client, keyPrefix, options) {
  return track(new SpaceLock({ redis: client, keyPrefix, ttlMs: TTL_MS, logger: countingLogger, ...options }));
}

/** A row of the lock: one withSpaceLock around the empty critical section, a skip being a bench error. */
function spaceLockContender(name, options) {
  return {
    name,
    make(client, keyPrefix) {
      const lock = benchSpaceLock(client, keyPrefix, options);
      return async (key) => {
        const out = await lock.withSpaceLock(key, empty);
        if (isSpaceLockSkip(out)) throw new Error(`${name}: ${key} ${out.skipped}`);
      };
    },
  };
}

const clients = [];
/** A SpaceLock that has waited owns a subscriber connection, which close() ends. */
const locks = [];
function track(lock) {
  locks.push(lock);
  return lock;
}

function newClient(url, autoPipelining) {
  const client = new Redis(url, { enableAutoPipelining: autoPipelining, maxRetriesPerRequest: 1 });
  clients.push(client);
  return client;
}

async function setUp(url, autoPipelining) {
  return Promise.all(
    CONTENDERS.map(async (contender, i) => {
      const client = newClient(url, autoPipelining);
      await client.ping();
      // Each contender writes under its own prefix, so none can see another's keys.
      const keyPrefix = `${PREFIX}${autoPipelining ? 'ap' : 'np'}:${i}:`;
      return { name: contender.name, op: contender.make(client, keyPrefix), keyPrefix };
    }),
  );
}

function shuffled(list) {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// ---------------------------------------------------------------- (a) sequential

/**
 * Every contender takes turns of `SEQ.block` operations, in a fresh random
 * order each cycle, until the time budget is spent: they all see the same
 * load, and no contender gets a quiet stretch of its own.
 */
async function sequential(url) {
  const runners = await setUp(url, false);
  const samples = new Map(runners.map((r) => [r.name, []]));
  for (const r of runners) for (let i = 0; i < SEQ.warmup; i++) await r.op('seq');

  const until = performance.now() + SEQ.budgetMs;
  for (let cycle = 0; cycle < 1_000_000 && performance.now() < until; cycle++) {
    for (const r of shuffled(runners)) {
      const out = samples.get(r.name);
      for (let i = 0; i < SEQ.block && out.length < SEQ.maxPerContender; i++) {
        const t = process.hrtime.bigint();
        await r.op('seq');
        out.push(Number(process.hrtime.bigint() - t) / 1_000);
      }
    }
  }
  const result = new Map();
  for (const [name, us] of samples) {
    us.sort((a, b) => a - b);
    result.set(name, { n: us.length, p50: percentile(us, 50), p99: percentile(us, 99) });
  }
  return result;
}

// ---------------------------------------------------------------- (b) parallel

async function window(op, ms, keys) {
  const until = performance.now() + ms;
  let done = 0;
  await Promise.all(
    keys.map(async (key) => {
      // Bounded by time; the count cap only guards against a clock that stands still.
      for (let i = 0; i < 10_000_000 && performance.now() < until; i++) {
        await op(key);
        done++;
      }
    }),
  );
  return done;
}

/**
 * Rounds of one window per contender, in a fresh random order each round.
 * Throughput is the total over all rounds; its ratio to raw is the median
 * of the per-round ratios, which a round of heavy outside load moves less.
 */
async function parallel(url, autoPipelining) {
  const runners = await setUp(url, autoPipelining);
  const raw = runners[0].name;
  const keys = Array.from({ length: CONCURRENCY }, (_, i) => `par-${i}`);
  for (const r of runners) await window(r.op, PAR.warmupMs, keys);
  const totals = new Map(runners.map((r) => [r.name, { ops: 0, ms: 0, perRound: [] }]));
  for (let round = 0; round < PAR.rounds; round++) {
    for (const r of shuffled(runners)) {
      const t = performance.now();
      const ops = await window(r.op, PAR.windowMs, keys);
      const ms = performance.now() - t;
      const total = totals.get(r.name);
      total.ops += ops;
      total.ms += ms;
      total.perRound.push((ops / ms) * 1000);
    }
  }
  const rawRounds = totals.get(raw).perRound;
  return new Map(
    [...totals].map(([name, { ops, ms, perRound }]) => [
      name,
      {
        opsPerSecond: (ops / ms) * 1000,
        ratio: median(perRound.map((x, i) => x / rawRounds[i])),
      },
    ]),
  );
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------- (c) hand-off

/**
 * Each lock as a waiter uses it: acquire, waiting with the library's own
 * retry at its documented defaults, run fn, release. Raw ioredis has no wait.
 */
const WAITING = {
  'space-lock withSpaceLock': (client, keyPrefix) => spaceLockWaiter(client, keyPrefix, {}),
  'space-lock withSpaceLock, fencing': (client, keyPrefix) => spaceLockWaiter(client, keyPrefix, { fencing: true }),
  'space-lock withSpaceLock, wakeOnRelease: false': (client, keyPrefix) =>
    spaceLockWaiter(client, keyPrefix, { wakeOnRelease: false }),
  'redis-semaphore Mutex': (client, keyPrefix) => async (key, fn) => {
    const mutex = new Mutex(client, keyPrefix + key, { lockTimeout: TTL_MS, acquireTimeout: 10_000 });
    await mutex.acquire();
    try {
      await fn();
    } finally {
      await mutex.release();
    }
  },
  '@sesamecare-oss/redlock': (client, keyPrefix) => redlockWaiter(new SesameRedlock([client]), keyPrefix),
  'redlock 5.0.0-beta.2': (client, keyPrefix) => redlockWaiter(new Redlock5([client]), keyPrefix),
};

function spaceLockWaiter(client, keyPrefix, options) {
  const lock = benchSpaceLock(client, keyPrefix, options);
  return (key, fn) => lock.withSpaceLock(key, fn, { acquireRetry: { totalMs: 10_000 } });
}

function redlockWaiter(redlock, keyPrefix) {
  redlock.on('error', () => undefined);
  return async (key, fn) => {
    const lock = await redlock.acquire([keyPrefix + key], TTL_MS);
    try {
      await fn();
    } finally {
      await lock.release();
    }
  };
}

/** The clock of both sides of a hand-off: CLOCK_MONOTONIC, one for every process of the machine. */
const nowNs = () => process.hrtime.bigint();

/**
 * One hand-off: the holder takes the key and keeps it until the waiter is well
 * into its wait, at a point of its backoff that varies from trial to trial,
 * then returns from fn; the waiter reports when its own fn started. Returns
 * release → start, in ms.
 */
async function handOffOnce(holder, startWaiter, key) {
  let entered;
  let release;
  let releasedAt = 0n;
  const inside = new Promise((resolve) => (entered = resolve));
  const held = holder(key, async () => {
    entered();
    await new Promise((resolve) => (release = resolve));
    releasedAt = nowNs();
  });
  await inside;
  const { started } = await startWaiter(key);
  await sleep(30 + Math.random() * 30);
  release();
  const [, startedAt] = await Promise.all([held, started]);
  return Number(startedAt - releasedAt) / 1e6;
}

function handOffStats(samples) {
  return new Map(
    [...samples].map(([name, ms]) => {
      ms.sort((a, b) => a - b);
      return [name, { p50: percentile(ms, 50), p99: percentile(ms, 99) }];
    }),
  );
}

/** Release → the next holder's fn starts, with holder and waiter on separate clients of this process. */
async function handOff(url) {
  const names = Object.keys(WAITING);
  const runners = names.map((name, i) => {
    const keyPrefix = `${PREFIX}handoff:${i}:`;
    const waiter = WAITING[name](newClient(url, false), keyPrefix);
    return {
      name,
      holder: WAITING[name](newClient(url, false), keyPrefix),
      // Resolves once the wait has begun, to a promise of when the waiter's fn started.
      startWaiter: async (key) => {
        let startedAt = 0n;
        const done = waiter(key, async () => void (startedAt = nowNs()));
        return { started: done.then(() => startedAt) };
      },
    };
  });
  const samples = new Map(names.map((n) => [n, []]));
  for (let t = 0; t < HANDOFF_TRIALS; t++) {
    for (const r of shuffled(runners)) samples.get(r.name).push(await handOffOnce(r.holder, r.startWaiter, `k${t}`));
  }
  return handOffStats(samples);
}

/**
 * The same across processes: the holder in this process, the waiter in a
 * child (this file, run with `--handoff-waiter`), told over IPC which lock to
 * wait on. Both read the same monotonic clock.
 */
async function handOffAcrossProcesses(url) {
  const child = fork(new URL(import.meta.url).pathname, ['--handoff-waiter'], {
    env: { ...process.env, BENCH_REDIS_URL: url },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const replies = new Map();
  child.on('message', (msg) => replies.get(msg.id)?.(msg));
  let nextId = 0;
  const ask = (msg) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`hand-off child: no answer to ${msg.cmd}`)), 60_000);
      replies.set(id, (reply) => {
        clearTimeout(timer);
        replies.delete(id);
        if (reply.error) reject(new Error(`hand-off child: ${reply.error}`));
        else resolve(reply);
      });
      child.send({ ...msg, id });
    });
  try {
    await ask({ cmd: 'ready' });
    const names = Object.keys(WAITING);
    const runners = names.map((name, i) => {
      const keyPrefix = `${PREFIX}xhandoff:${i}:`;
      return {
        name,
        holder: WAITING[name](newClient(url, false), keyPrefix),
        startWaiter: async (key) => {
          const started = ask({ cmd: 'wait', name, keyPrefix, key });
          // Answered after the child has begun the wait (IPC keeps the order of messages).
          await ask({ cmd: 'ping' });
          return { started: started.then((reply) => BigInt(reply.startedAt)) };
        },
      };
    });
    const samples = new Map(names.map((n) => [n, []]));
    for (let t = 0; t < HANDOFF_TRIALS; t++) {
      for (const r of shuffled(runners)) samples.get(r.name).push(await handOffOnce(r.holder, r.startWaiter, `k${t}`));
    }
    return handOffStats(samples);
  } finally {
    child.send({ cmd: 'exit' });
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** The child side of `handOffAcrossProcesses`: one waiter per contender, each on its own client. */
async function handOffWaiterChild() {
  const url = process.env.BENCH_REDIS_URL;
  const waiters = new Map();
  const waiterFor = (name, keyPrefix) => {
    if (!waiters.has(name)) waiters.set(name, WAITING[name](newClient(url, false), keyPrefix));
    return waiters.get(name);
  };
  process.on('message', (msg) => {
    const reply = (body) => process.send({ id: msg.id, ...body });
    if (msg.cmd === 'ready' || msg.cmd === 'ping') reply({});
    else if (msg.cmd === 'wait') {
      let startedAt = 0n;
      const done = waiterFor(msg.name, msg.keyPrefix)(msg.key, async () => void (startedAt = nowNs()));
      done.then(
        () => reply({ startedAt: String(startedAt) }),
        (err) => reply({ error: err.message }),
      );
    } else if (msg.cmd === 'exit') {
      Promise.all(locks.map((l) => l.close()))
        .then(() => Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect()))))
        .finally(() => process.disconnect());
    }
  });
}

// ---------------------------------------------------------------- (d) many holds

const MANY = 10_000;
const MANY_TTL_MS = 3_000;

/** Holds that keep themselves alive until `done` resolves, the way each library does it. */
const HOLDING = {
  'space-lock withSpaceLock': (client, keyPrefix) => {
    const lock = new SpaceLock({ redis: client, keyPrefix, ttlMs: MANY_TTL_MS, logger: countingLogger });
    return (key, entered, done) => lock.withSpaceLock(key, () => (entered(), done));
  },
  'space-lock withSpaceLock, fencing': (client, keyPrefix) => {
    const lock = new SpaceLock({ redis: client, keyPrefix, ttlMs: MANY_TTL_MS, fencing: true, logger: countingLogger });
    return (key, entered, done) => lock.withSpaceLock(key, () => (entered(), done));
  },
  // Its own refresh timer per mutex, every 0.8 × lockTimeout by default. A lost hold is counted, not thrown.
  'redis-semaphore Mutex': (client, keyPrefix) => async (key, entered, done) => {
    const mutex = new Mutex(client, keyPrefix + key, {
      lockTimeout: MANY_TTL_MS,
      acquireAttemptsLimit: 1,
      onLockLost: () => void lostHolds.set('redis-semaphore Mutex', (lostHolds.get('redis-semaphore Mutex') ?? 0) + 1),
    });
    if (!(await mutex.tryAcquire())) throw new Error(`redis-semaphore: ${key} is held`);
    entered();
    await done;
    await mutex.release();
  },
};

/** Holds a library reported lost during the many-holds run, by library. */
const lostHolds = new Map();

function exposedGc() {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc');
}

/**
 * 10,000 holds at once on a Redis of the bench's own, for two TTLs: refresh
 * commands per second (counted by Redis), event-loop delay p99 and max (the
 * longest stall a service on that loop saw), and heap bytes per hold (after a
 * full GC, against the heap before the holds).
 */
async function manyHolds() {
  const gc = exposedGc();
  const server = await ownRedis();
  const admin = newClient(server.url, false);
  const out = new Map();
  try {
    for (const [name, make] of Object.entries(HOLDING)) {
      const client = newClient(server.url, false);
      await client.ping();
      const hold = make(client, `${PREFIX}many:`);
      gc();
      const heapBefore = process.memoryUsage().heapUsed;
      let finish;
      const done = new Promise((resolve) => (finish = resolve));
      const entered = [];
      const holds = Array.from({ length: MANY }, (_, i) => {
        let enter;
        entered.push(new Promise((resolve) => (enter = resolve)));
        return hold(`h${i}`, enter, done);
      });
      await Promise.all(entered);
      gc();
      const heapPerHold = (process.memoryUsage().heapUsed - heapBefore) / MANY;
      await admin.config('RESETSTAT');
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      const started = performance.now();
      await sleep(2 * MANY_TTL_MS);
      delay.disable();
      const seconds = (performance.now() - started) / 1000;
      const stats = await admin.info('commandstats');
      const calls = (cmd) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      // Every lock here refreshes with a script; nothing else runs a script while they wait.
      const refreshesPerSecond = (calls('evalsha') + calls('eval')) / seconds;
      finish();
      await Promise.all(holds);
      out.set(name, {
        refreshesPerSecond,
        delayP99Ms: delay.percentile(99) / 1e6,
        delayMaxMs: delay.max / 1e6,
        heapPerHold,
      });
      client.disconnect();
    }
  } finally {
    admin.disconnect();
    await server.stop();
  }
  return out;
}

// ---------------------------------------------------------------- report

async function deletePrefix(client, prefix) {
  let cursor = '0';
  let deleted = 0;
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) deleted += await client.del(...keys);
    cursor = next;
    if (cursor === '0') break;
  }
  return deleted;
}

function table(seq, parNo, parAp, handoff, crossHandoff, many) {
  const raw = CONTENDERS[0].name;
  const rows = [
    [
      'library',
      'seq p50 µs',
      'p99 µs',
      'p50 ×raw',
      '64∥ ops/s',
      '×raw',
      '64∥ autopipe ops/s',
      '×raw',
      'hand-off p50 ms',
      'p99 ms',
      '2-process hand-off p50 ms',
      'p99 ms',
      `${MANY / 1000}k holds: refresh/s`,
      'loop delay p99 ms',
      'max ms',
      'heap B/hold',
    ],
  ];
  const or = (value, format) => (value === undefined ? '—' : format(value));
  for (const { name } of CONTENDERS) {
    const s = seq.get(name);
    rows.push([
      name,
      s.p50.toFixed(1),
      s.p99.toFixed(1),
      (s.p50 / seq.get(raw).p50).toFixed(3),
      Math.round(parNo.get(name).opsPerSecond).toLocaleString('en-US'),
      parNo.get(name).ratio.toFixed(3),
      Math.round(parAp.get(name).opsPerSecond).toLocaleString('en-US'),
      parAp.get(name).ratio.toFixed(3),
      or(handoff.get(name), (h) => h.p50.toFixed(2)),
      or(handoff.get(name), (h) => h.p99.toFixed(2)),
      or(crossHandoff.get(name), (h) => h.p50.toFixed(2)),
      or(crossHandoff.get(name), (h) => h.p99.toFixed(2)),
      or(many.get(name), (m) => Math.round(m.refreshesPerSecond).toLocaleString('en-US')),
      or(many.get(name), (m) => m.delayP99Ms.toFixed(1)),
      or(many.get(name), (m) => m.delayMaxMs.toFixed(1)),
      or(many.get(name), (m) => Math.round(m.heapPerHold).toLocaleString('en-US')),
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) =>
    `| ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join(' | ')} |`;
  return [
    line(rows[0]),
    `|${widths.map((w, c) => (c === 0 ? ':' : '') + '-'.repeat(w + 1) + (c === 0 ? '' : ':')).join('|')}|`,
    ...rows.slice(1).map(line),
  ].join('\n');
}

async function main() {
  const started = performance.now();
  const redis = await redisForBench();
  try {
    const admin = newClient(redis.url, false);
    const info = await admin.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
    console.log(
      `lock bench: Redis ${version} at ${redis.url}, node ${process.version}, ttl ${TTL_MS} ms, scale ${SCALE}`,
    );
    console.log('sequential: acquire + empty critical section + release, one at a time ...');
    const seq = await sequential(redis.url);
    console.log(`parallel: ${CONCURRENCY} callers on distinct keys, without auto-pipelining ...`);
    const parNo = await parallel(redis.url, false);
    console.log(`parallel: ${CONCURRENCY} callers on distinct keys, with auto-pipelining ...`);
    const parAp = await parallel(redis.url, true);
    // Fence counters live under `{<key>}:fence`, outside the prefix.
    console.log("hand-off: release → the waiting holder's fn starts, each library waiting with its default retry ...");
    const handoff = await handOff(redis.url);
    console.log('hand-off across processes: release in this process → the fn of a waiter in another starts ...');
    const crossHandoff = await handOffAcrossProcesses(redis.url);
    console.log(
      `many holds: ${MANY.toLocaleString('en-US')} at once, ttl ${MANY_TTL_MS} ms, on a redis-server of the bench's own ...`,
    );
    const many = await manyHolds();
    const leftovers = (await deletePrefix(admin, PREFIX)) + (await deletePrefix(admin, `{${PREFIX}`));

    console.log('');
    console.log(table(seq, parNo, parAp, handoff, crossHandoff, many));
    console.log('');
    const plain = 'space-lock withSpaceLock';
    const fenced = 'space-lock withSpaceLock, fencing';
    console.log(
      `fencing, as a ratio to the lock without it: seq p50 ×${(seq.get(fenced).p50 / seq.get(plain).p50).toFixed(3)}, ` +
        `64∥ ×${(parNo.get(fenced).ratio / parNo.get(plain).ratio).toFixed(3)}, 64∥ auto-pipelined ×${(parAp.get(fenced).ratio / parAp.get(plain).ratio).toFixed(3)}`,
    );
    const samples = [...seq.values()].map((s) => s.n);
    console.log(
      `${Math.min(...samples)}-${Math.max(...samples)} sequential samples per library; ${PAR.rounds} parallel rounds of ${PAR.windowMs} ms, ×raw the median of per-round ratios; ` +
        `${HANDOFF_TRIALS} hand-offs per library and setting. ×raw: latency lower is better, throughput higher is better.`,
    );
    for (const [name, n] of lostHolds) console.log(`${name} lost ${n} of its ${MANY.toLocaleString('en-US')} holds`);
    console.log(
      `${leftovers} leftover keys deleted; space-lock warnings: ${countingLogger.warnings}; took ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  } finally {
    await Promise.all(locks.map((l) => l.close()));
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await redis.stop();
  }
}

if (process.argv.includes('--handoff-waiter')) {
  handOffWaiterChild();
} else {
  main().catch((err) => {
    console.error(`lock bench failed: ${err.message}`);
    process.exitCode = 1;
  });
}

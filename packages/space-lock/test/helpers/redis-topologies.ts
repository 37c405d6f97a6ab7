/**
 * Real Redis topologies for integration tests, started on free loopback ports
 * from the `redis-server` and `redis-cli` on PATH, and stopped in afterAll at
 * the latest (every process goes through `startRedisServer`):
 *
 * - `startRedisCluster()`: 3 masters, each with one replica, so that a
 *   `CLUSTER FAILOVER` can move a shard mid-test;
 * - `startRedisSentinel()`: 1 master, 1 replica and 3 sentinels watching them
 *   as `mymaster`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Redis, { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { beforeServersStop, createClient, startRedisServer, waitFor, type DisposableRedis } from './redis-server';

const run = promisify(execFile);
const READY_TIMEOUT_MS = 30_000;

const clusters = new Set<Cluster>();
const dirs = new Set<string>();

function scratchDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `space-lock-${name}-`));
  dirs.add(dir);
  return dir;
}

export interface ClusterNode {
  readonly port: number;
  readonly id: string;
  readonly role: 'master' | 'replica';
  /** For a replica, the id of its master. */
  readonly masterId: string | undefined;
  readonly slots: Array<[number, number]>;
}

export interface RedisClusterHandle {
  readonly ports: number[];
  /** A client on one node, closed in afterAll. */
  node(port: number): Redis;
  /** The topology as `CLUSTER NODES` on `port` tells it. */
  nodes(port?: number): Promise<ClusterNode[]>;
  slotOf(key: string): Promise<number>;
  /** The node serving `slot` as master, and its replica. */
  shardOf(slot: number): Promise<{ master: ClusterNode; replica: ClusterNode }>;
  /** An ioredis Cluster client, closed in afterAll. */
  client(options?: ClusterOptions): Cluster;
}

function parseNodes(text: string): ClusterNode[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, master, , , , , ...slots] = line.split(' ');
      return {
        id,
        port: Number(address.split('@')[0].split(':').pop()),
        role: flags.includes('master') ? 'master' : 'replica',
        masterId: master === '-' ? undefined : master,
        slots: slots
          .filter((range) => !range.startsWith('['))
          .map((range) => {
            const [from, to = from] = range.split('-').map(Number);
            return [from, to] as [number, number];
          }),
      };
    });
}

export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const dir = scratchDir('cluster');
  const servers: DisposableRedis[] = [];
  for (let i = 0; i < 6; i++) {
    const args = ['--cluster-enabled', 'yes', '--cluster-node-timeout', '2000', '--dir', dir];
    // Each node needs a config file of its own; the name must be known before the port is.
    servers.push(await startRedisServer({ args: [...args, '--cluster-config-file', `nodes-${i}.conf`] }));
  }
  const ports = servers.map((s) => s.port);
  await run(
    'redis-cli',
    ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
    {
      timeout: READY_TIMEOUT_MS,
    },
  );
  const byPort = new Map(ports.map((port) => [port, createClient(`redis://127.0.0.1:${port}`)]));
  const node = (port: number) => byPort.get(port) ?? createClient(`redis://127.0.0.1:${port}`);
  const nodes = async (port = ports[0]) => parseNodes((await node(port).call('CLUSTER', 'NODES')) as string);

  await waitFor(
    'the cluster to be ok on every node, with every replica in sync',
    async () => {
      for (const port of ports) {
        const info = (await node(port).call('CLUSTER', 'INFO')) as string;
        if (!info.includes('cluster_state:ok')) return false;
        const replication = await node(port).info('replication');
        if (replication.includes('role:master') && !/connected_slaves:1/.test(replication)) return false;
        if (replication.includes('role:slave') && !replication.includes('master_link_status:up')) return false;
      }
      return (await nodes()).filter((n) => n.role === 'replica').length === 3;
    },
    READY_TIMEOUT_MS,
    100,
  );

  const handle: RedisClusterHandle = {
    ports,
    node,
    nodes,
    slotOf: async (key) => (await node(ports[0]).call('CLUSTER', 'KEYSLOT', key)) as number,
    async shardOf(slot) {
      const all = await nodes();
      const master = all.find((n) => n.role === 'master' && n.slots.some(([from, to]) => slot >= from && slot <= to));
      const replica = all.find((n) => n.role === 'replica' && n.masterId === master?.id);
      if (master === undefined || replica === undefined)
        throw new Error(`no master with a replica serves slot ${slot}`);
      return { master, replica };
    },
    client(options = {}) {
      const cluster = new Cluster(
        ports.map((port) => ({ host: '127.0.0.1', port })),
        { ...options, redisOptions: { connectTimeout: 2_000, disconnectTimeout: 200, ...options.redisOptions } },
      );
      cluster.on('error', () => undefined);
      clusters.add(cluster);
      return cluster;
    },
  };
  return handle;
}

export interface RedisSentinelHandle {
  readonly name: string;
  readonly master: DisposableRedis;
  readonly replica: DisposableRedis;
  readonly sentinels: DisposableRedis[];
  /** An ioredis client that finds the master through the sentinels; closed in afterAll. */
  client(options?: RedisOptions): Redis;
  /** The master's port, as the sentinels report it. */
  masterPort(): Promise<number>;
}

export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const name = 'mymaster';
  const dir = scratchDir('sentinel');
  const master = await startRedisServer();
  const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  const sentinels: DisposableRedis[] = [];
  for (let i = 0; i < 3; i++) {
    // A sentinel rewrites its config file as it learns the topology, so each gets one of its own.
    const configFile = join(dir, `sentinel-${i}.conf`);
    writeFileSync(
      configFile,
      [
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
        `sentinel down-after-milliseconds ${name} 2000`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(await startRedisServer({ configFile, args: ['--sentinel', '--dir', dir] }));
  }
  const sentinelClients = sentinels.map((s) => createClient(s.url));
  await waitFor(
    'the sentinels to know the replica and each other, with quorum',
    async () => {
      for (const sentinel of sentinelClients) {
        const replicas = (await sentinel.call('SENTINEL', 'REPLICAS', name)) as string[][];
        const known = replicas.some(
          (fields) => fields.join(' ').includes(`port ${replica.port}`) && !fields.join(' ').includes('disconnected'),
        );
        const peers = (await sentinel.call('SENTINEL', 'SENTINELS', name)) as unknown[];
        if (!known || peers.length < 2) return false;
      }
      return true;
    },
    READY_TIMEOUT_MS,
    100,
  );
  return {
    name,
    master,
    replica,
    sentinels,
    client(options = {}) {
      const client = new Redis({
        sentinels: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
        name,
        connectTimeout: 2_000,
        disconnectTimeout: 200,
        ...options,
      });
      client.on('error', () => undefined);
      trackedSentinelClients.add(client);
      return client;
    },
    async masterPort() {
      const [, port] = (await sentinelClients[0].call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)) as [string, string];
      return Number(port);
    },
  };
}

const trackedSentinelClients = new Set<Redis>();

beforeServersStop(() => {
  // disconnect, not quit: a QUIT queued for a node that is gone would wait for a reconnect.
  for (const client of [...clusters, ...trackedSentinelClients]) client.disconnect();
  clusters.clear();
  trackedSentinelClients.clear();
});

if (typeof afterAll === 'function') {
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    dirs.clear();
  });
}

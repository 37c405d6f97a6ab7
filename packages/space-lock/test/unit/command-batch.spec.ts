import {
  COMMANDS_PER_WRITE,
  CorkedBatch,
  PipelinedBatch,
  commandBatchFor,
  type CommandBatch,
} from '../../src/store/command-batch';
import { scripts } from '../../src/store/redis-commands';
import type { RedisLockPipeline } from '../../src/store/redis-lock-client';

type Reply = [Error | null, unknown];

const ok = (): Reply => [null, 'OK'];
const flag = (reply: unknown) => reply === 1;
const reply = ([err, value]: Reply) => (err === null ? Promise.resolve(value) : Promise.reject(err));
/** As from a server: the reply comes in a later turn of the event loop, never before the turn's writes. */
const later = (answer: Reply) =>
  new Promise<unknown>((resolve, reject) =>
    setImmediate(() => (answer[0] === null ? resolve(answer[1]) : reject(answer[0]))),
  );

/**
 * A socket that records what a write would carry: commands written while it
 * is corked wait in `buffered`, and each uncork that ends the corking moves
 * them out as one write, as Node's `Writable` does.
 */
function recordingSocket() {
  const writes: string[][] = [];
  let corked = 0;
  let buffered: string[] = [];
  const flush = () => {
    if (buffered.length > 0) writes.push(buffered);
    buffered = [];
  };
  return {
    writes,
    get corked() {
      return corked;
    },
    write(command: string) {
      buffered.push(command);
      if (corked === 0) flush();
    },
    cork: () => void corked++,
    uncork() {
      if (corked > 0 && --corked === 0) flush();
    },
  };
}

/** A plain client whose commands go through `socket`, answering from `answer`. */
function socketClient(answer: (command: string, args: unknown[]) => Reply, withSocket = true) {
  const socket = recordingSocket();
  const send = (command: string, args: unknown[]) => {
    socket.write(command);
    return later(answer(command, args));
  };
  const client = {
    stream: withSocket ? socket : undefined,
    set: (...args: unknown[]) => send('set', args) as Promise<string | null>,
    evalsha: (...args: unknown[]) => send('evalsha', args),
    eval: (...args: unknown[]) => send('eval', args),
  };
  return { client, socket };
}

/** An auto-pipelining client whose direct commands and pipelines are recorded, answering from `answer`. */
function pipeliningClient(answer: (command: string, args: unknown[]) => Reply) {
  const direct: string[] = [];
  const pipelines: string[][] = [];
  const client = {
    options: { enableAutoPipelining: true },
    set: (...args: unknown[]) => (direct.push('set'), reply(answer('set', args))) as Promise<string | null>,
    evalsha: (...args: unknown[]) => (direct.push('evalsha'), reply(answer('evalsha', args))),
    eval: (...args: unknown[]) => (direct.push('eval'), reply(answer('eval', args))),
    pipeline(): RedisLockPipeline {
      const queued: Array<[string, unknown[]]> = [];
      return {
        set: (...args: unknown[]) => queued.push(['set', args]),
        evalsha: (...args: unknown[]) => queued.push(['evalsha', args]),
        exec: () => {
          pipelines.push(queued.map(([c]) => c));
          return Promise.resolve(queued.map(([c, args]) => answer(c, args)));
        },
      };
    },
  };
  return { client, direct, pipelines };
}

/** Key `taken` is held elsewhere; a release succeeds on key `mine` only. */
const ownership = (command: string, args: unknown[]): Reply =>
  command === 'set' ? [null, args[0] === 'taken' ? null : 'OK'] : [null, args[2] === 'mine' ? 1 : 0];

/** Commands in one turn: one, a chunk, and some. */
const TURN = COMMANDS_PER_WRITE + 4;

/** Issues TURN commands in one turn; the first four answer 'OK', null, true and false. */
function oneTurn(batch: CommandBatch): Array<Promise<unknown>> {
  return [
    batch.set('a', 'v', 100),
    batch.set('taken', 'v', 100),
    batch.script(scripts.release, ['mine'], ['v'], flag),
    batch.script(scripts.release, ['theirs'], ['v'], flag),
    ...Array.from({ length: TURN - 4 }, (_, i) => batch.set(`k${i}`, 'v', 100)),
  ];
}

describe('commandBatchFor', () => {
  it('corks a plain client, pipelines an auto-pipelining one, and leaves a Cluster alone', () => {
    expect(commandBatchFor(socketClient(ok).client)).toBeInstanceOf(CorkedBatch);
    expect(commandBatchFor(pipeliningClient(ok).client)).toBeInstanceOf(PipelinedBatch);
    expect(commandBatchFor({ ...socketClient(ok).client, isCluster: true } as never)).toBeUndefined();
  });
});

describe('CorkedBatch', () => {
  it('writes the first command of a turn at once, the rest in chunks of COMMANDS_PER_WRITE, and uncorks at the end of the turn', async () => {
    const { client, socket } = socketClient(ownership);
    const turn = oneTurn(new CorkedBatch(client));
    // Still in the turn: the first command and one full chunk have gone, the rest waits in the corked socket.
    expect(socket.writes.map((w) => w.length)).toEqual([1, COMMANDS_PER_WRITE]);
    expect(socket.corked).toBe(1);
    const results = await Promise.all(turn);
    expect(results.slice(0, 4)).toEqual(['OK', null, true, false]);
    expect(socket.writes.map((w) => w.length)).toEqual([1, COMMANDS_PER_WRITE, TURN - 1 - COMMANDS_PER_WRITE]);
    expect(socket.corked).toBe(0);
  });

  it('writes a command alone in its turn by itself, and each turn apart', async () => {
    const { client, socket } = socketClient(ok);
    const batch = new CorkedBatch(client);
    await batch.set('k', 'v', 100);
    await batch.script(scripts.release, ['k'], ['v'], flag);
    expect(socket.writes).toEqual([['set'], ['evalsha']]);
    expect(socket.corked).toBe(0);
  });

  it('sends the commands of a client without a socket one by one', async () => {
    const { client, socket } = socketClient(ok, false);
    const batch = new CorkedBatch(client);
    await expect(Promise.all([batch.set('a', 'v', 1), batch.set('b', 'v', 1)])).resolves.toEqual(['OK', 'OK']);
    expect(socket.writes).toEqual([['set'], ['set']]);
  });

  it('resends a script as EVAL on NOSCRIPT', async () => {
    const { client, socket } = socketClient((command) =>
      command === 'evalsha' ? [new Error('NOSCRIPT No matching script'), undefined] : [null, 1],
    );
    await expect(new CorkedBatch(client).script(scripts.refresh, ['k'], ['v', '100'], flag)).resolves.toBe(true);
    expect(socket.writes.flat()).toEqual(['evalsha', 'eval']);
  });
});

describe('PipelinedBatch', () => {
  it('sends the commands of one turn in pipelines of at most COMMANDS_PER_WRITE, never auto-pipelined, each with its own reply', async () => {
    const { client, direct, pipelines } = pipeliningClient(ownership);
    const turn = oneTurn(new PipelinedBatch(client));
    // A full pipeline goes at once, without waiting for the end of the turn.
    expect(pipelines.map((p) => p.length)).toEqual([COMMANDS_PER_WRITE]);
    const results = await Promise.all(turn);
    expect(results.slice(0, 4)).toEqual(['OK', null, true, false]);
    expect(pipelines.map((p) => p.length)).toEqual([COMMANDS_PER_WRITE, TURN - COMMANDS_PER_WRITE]);
    expect(pipelines[0].slice(0, 4)).toEqual(['set', 'set', 'evalsha', 'evalsha']);
    expect(direct).toEqual([]);
  });

  it('resends a NOSCRIPT entry of a pipeline as EVAL, and rejects only the entry that failed', async () => {
    const { client, direct } = pipeliningClient((command, args) => {
      if (command === 'evalsha') return [new Error('NOSCRIPT No matching script'), undefined];
      if (command === 'eval') return [null, 1];
      return args[0] === 'broken' ? [new Error('WRONGTYPE'), undefined] : ok();
    });
    const batch = new PipelinedBatch(client);
    const [first, refreshed, broken] = await Promise.allSettled([
      batch.set('a', 'v', 100),
      batch.script(scripts.refresh, ['k'], ['v', '100'], flag),
      batch.set('broken', 'v', 100),
    ]);
    expect(first).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(refreshed).toEqual({ status: 'fulfilled', value: true });
    expect(broken).toMatchObject({ status: 'rejected', reason: { message: 'WRONGTYPE' } });
    expect(direct).toEqual(['eval']);
  });

  it('rejects every command of a pipeline that fails as a whole, and a mapping error only its own', async () => {
    const { client } = pipeliningClient(ok);
    const failing = {
      ...client,
      pipeline: () => ({
        set: () => undefined,
        evalsha: () => undefined,
        exec: () => Promise.reject(new Error('connection lost')),
      }),
    };
    const batch = new PipelinedBatch(failing);
    const outcomes = await Promise.allSettled([batch.set('a', 'v', 1), batch.set('b', 'v', 1)]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);

    const mapping = new PipelinedBatch(pipeliningClient(() => [null, 'yes']).client);
    const mapped = await Promise.allSettled([
      mapping.set('a', 'v', 1),
      mapping.script(scripts.release, ['k'], ['v'], () => {
        throw new Error('unreadable');
      }),
      mapping.script(scripts.release, ['k'], ['v'], (r) => r),
    ]);
    expect(mapped.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

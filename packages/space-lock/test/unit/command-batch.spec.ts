import { CommandBatch } from '../../src/store/command-batch';
import { scripts } from '../../src/store/redis-commands';
import type { RedisLockPipeline } from '../../src/store/redis-lock-client';

type Reply = [Error | null, unknown];

/** A client whose every command and pipeline is recorded, answering from `answer`. */
function recordingClient(answer: (command: string, args: unknown[]) => Reply) {
  const direct: string[] = [];
  const pipelines: string[][] = [];
  const reply = ([err, value]: Reply) => (err === null ? Promise.resolve(value) : Promise.reject(err));
  const client = {
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

const ok = (): Reply => [null, 'OK'];
const flag = (reply: unknown) => reply === 1;

describe('CommandBatch', () => {
  it('sends a command alone in its turn at once, without a pipeline', async () => {
    const { client, direct, pipelines } = recordingClient(ok);
    const batch = new CommandBatch(client);
    await expect(batch.set('k', 'v', 100)).resolves.toBe('OK');
    await expect(batch.set('k2', 'v', 100)).resolves.toBe('OK');
    expect(direct).toEqual(['set', 'set']);
    expect(pipelines).toEqual([]);
  });

  it('sends the first command of a turn at once and the rest of the turn as one pipeline, each with its own reply', async () => {
    const { client, direct, pipelines } = recordingClient((command, args) =>
      command === 'set' ? [null, args[0] === 'taken' ? null : 'OK'] : [null, args[2] === 'mine' ? 1 : 0],
    );
    const batch = new CommandBatch(client);
    const results = await Promise.all([
      batch.set('a', 'v', 100),
      batch.set('taken', 'v', 100),
      batch.script(scripts.release, ['mine'], ['v'], flag),
      batch.script(scripts.release, ['theirs'], ['v'], flag),
    ]);
    expect(results).toEqual(['OK', null, true, false]);
    expect(direct).toEqual(['set']);
    expect(pipelines).toEqual([['set', 'evalsha', 'evalsha']]);
  });

  it('resends a NOSCRIPT entry of a pipeline as EVAL, and rejects only the entry that failed', async () => {
    const { client, direct } = recordingClient((command, args) => {
      if (command === 'evalsha') return [new Error('NOSCRIPT No matching script'), undefined];
      if (command === 'eval') return [null, 1];
      return args[0] === 'broken' ? [new Error('WRONGTYPE'), undefined] : ok();
    });
    const batch = new CommandBatch(client);
    const [first, refreshed, broken] = await Promise.allSettled([
      batch.set('a', 'v', 100),
      batch.script(scripts.refresh, ['k'], ['v', '100'], flag),
      batch.set('broken', 'v', 100),
    ]);
    expect(first).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(refreshed).toEqual({ status: 'fulfilled', value: true });
    expect(broken).toMatchObject({ status: 'rejected', reason: { message: 'WRONGTYPE' } });
    expect(direct).toEqual(['set', 'eval']);
  });

  it('rejects every queued command when the pipeline itself fails, and a mapping error only its own', async () => {
    const { client } = recordingClient(ok);
    const failing = {
      ...client,
      pipeline: () => ({
        set: () => undefined,
        evalsha: () => undefined,
        exec: () => Promise.reject(new Error('connection lost')),
      }),
    };
    const batch = new CommandBatch(failing);
    const outcomes = await Promise.allSettled([batch.set('a', 'v', 1), batch.set('b', 'v', 1), batch.set('c', 'v', 1)]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected']);

    const mapping = new CommandBatch(recordingClient(() => [null, 'yes']).client);
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

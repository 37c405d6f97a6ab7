import type { SpaceLockLogger } from '../options';
import type { RedisLockSubscriber } from './redis-lock-client';

const SUFFIX = ':released';

/** The channel release-notify-1.lua publishes on when it deletes `key`. */
export function releasedChannel(key: string): string {
  return key + SUFFIX;
}

/**
 * Hears the releases of other processes (`wakeOnRelease: true`) on one
 * subscriber connection per SpaceLock, made when a retry first waits on a
 * space held elsewhere. A channel is subscribed while at least one waiter of
 * this SpaceLock waits for its key. A release missed in the moment between a
 * failed attempt and the subscription is still seen at the waiter's next
 * backoff try.
 */
export class ReleaseSubscription {
  /** Waiters per channel; a channel is subscribed exactly while it is in here. */
  readonly #waiters = new Map<string, number>();
  #subscriber: RedisLockSubscriber | undefined;

  constructor(
    private readonly connect: () => RedisLockSubscriber,
    private readonly onReleased: (key: string) => void,
    private readonly logger: SpaceLockLogger,
  ) {}

  watch(key: string): void {
    const channel = releasedChannel(key);
    const waiters = this.#waiters.get(channel) ?? 0;
    this.#waiters.set(channel, waiters + 1);
    if (waiters > 0) return;
    this.#subscriber ??= this.#open();
    this.#subscriber.subscribe(channel).catch((err: unknown) => this.#warn('subscribe to', channel, err));
  }

  unwatch(key: string): void {
    const channel = releasedChannel(key);
    const waiters = (this.#waiters.get(channel) ?? 1) - 1;
    if (waiters > 0) {
      this.#waiters.set(channel, waiters);
      return;
    }
    this.#waiters.delete(channel);
    this.#subscriber?.unsubscribe(channel).catch((err: unknown) => this.#warn('unsubscribe from', channel, err));
  }

  /** Closes the subscriber connection, which this class made. */
  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#waiters.clear();
    if (subscriber === undefined) return;
    await subscriber.quit().catch(() => subscriber.disconnect());
  }

  #open(): RedisLockSubscriber {
    const subscriber = this.connect();
    subscriber.on('message', (channel) => {
      if (channel.endsWith(SUFFIX)) this.onReleased(channel.slice(0, -SUFFIX.length));
    });
    // A lost subscriber only costs the wake-up; the backoff still covers every waiter.
    subscriber.on('error', () => undefined);
    return subscriber;
  }

  #warn(what: string, channel: string, err: unknown): void {
    this.logger.warn(`space-lock: could not ${what} ${channel}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

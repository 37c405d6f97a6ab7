import { messageOf } from '../lease';
import type { SpaceLockLogger } from '../options';
import type { RedisLockSubscriber } from './redis-lock-client';

/**
 * How long the subscriber connection outlives its last waiter. Reused by the
 * waits that follow soon after, and then closed: a SpaceLock nobody closes
 * must not keep its process alive through a connection it made itself.
 */
export const SUBSCRIBER_IDLE_MS = 5_000;

/**
 * Hears the releases of other processes (`wakeOnRelease`) on one subscriber
 * connection per SpaceLock, made when a retry first waits on a space held
 * elsewhere and closed once no waiter has needed it for
 * `SUBSCRIBER_IDLE_MS`. A channel is subscribed while at least one waiter of
 * this SpaceLock waits for its key. Once a new subscription is in place, the
 * key's waiters try again at once: a release that came between their failed
 * attempt and the subscription published to nobody. The channel of a key is
 * the key's own name, which release-notify-1.lua publishes on.
 */
export class ReleaseSubscription {
  /** Waiters per key; a key's channel is subscribed exactly while it is in here. */
  readonly #waiters = new Map<string, number>();
  #subscriber: RedisLockSubscriber | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  /** Armed only while nobody waits; the next watch() clears it. */
  readonly #closeIdle = () => {
    this.#idleTimer = undefined;
    this.close();
  };

  constructor(
    private readonly connect: () => RedisLockSubscriber,
    private readonly onReleased: (key: string) => void,
    private readonly logger: SpaceLockLogger,
  ) {}

  watch(key: string): void {
    const waiters = this.#waiters.get(key) ?? 0;
    this.#waiters.set(key, waiters + 1);
    if (waiters > 0) return;
    if (this.#idleTimer !== undefined) {
      clearTimeout(this.#idleTimer);
      this.#idleTimer = undefined;
    }
    this.#subscriber ??= this.#open();
    this.#subscriber.subscribe(key).then(
      () => {
        if (this.#waiters.has(key)) this.onReleased(key);
      },
      (err: unknown) => this.#warn('subscribe to', key, err),
    );
  }

  unwatch(key: string): void {
    const waiters = (this.#waiters.get(key) ?? 1) - 1;
    if (waiters > 0) {
      this.#waiters.set(key, waiters);
      return;
    }
    this.#waiters.delete(key);
    this.#subscriber?.unsubscribe(key).catch((err: unknown) => this.#warn('unsubscribe from', key, err));
    if (this.#waiters.size === 0 && this.#subscriber !== undefined && this.#idleTimer === undefined) {
      this.#idleTimer = setTimeout(this.#closeIdle, SUBSCRIBER_IDLE_MS);
      this.#idleTimer.unref();
    }
  }

  /**
   * Closes the subscriber connection, which this class made; the next wait
   * makes a new one. Disconnected rather than quit: it owes no replies, and a
   * QUIT queued behind a SUBSCRIBE while Redis is down waits for a reconnect
   * that may never come, which would hold `close()` with it.
   */
  close(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#waiters.clear();
    subscriber?.disconnect();
  }

  #open(): RedisLockSubscriber {
    const subscriber = this.connect();
    subscriber.on('message', (channel) => this.onReleased(channel));
    // A lost subscriber only costs the wake-up; the backoff still covers every waiter.
    subscriber.on('error', () => undefined);
    return subscriber;
  }

  #warn(what: string, channel: string, err: unknown): void {
    this.logger.warn(`space-lock: could not ${what} ${channel}: ${messageOf(err)}`);
  }
}

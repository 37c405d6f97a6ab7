import { monotonicNow } from './timing';

/**
 * How many due tasks one firing runs before yielding to the event loop. A
 * slice of 100 heartbeats takes about a millisecond; a bigger one showed up as
 * event-loop delay with 10,000 holds.
 */
export const MAX_TASKS_PER_FIRING = 100;

/** Something the scheduler runs at `dueAt`. The scheduler owns `heapIndex`; -1 means not scheduled. */
export interface ScheduledTask {
  dueAt: number;
  heapIndex: number;
  run(): void;
}

/**
 * Every heartbeat, lease deadline and release bound of the process, on one
 * native timer: a binary min-heap keyed by due time (monotonic ms), with the
 * timer armed for the earliest entry. Thousands of holds then cost one timer,
 * and the refreshes that fall due together run in one turn of the event loop,
 * where the store can send them as one batch.
 */
export class Scheduler {
  /** Min-heap on `dueAt`. Invariant: `#heap[i].heapIndex === i` for every i. */
  readonly #heap: ScheduledTask[] = [];
  /** The native timer; undefined exactly when the heap is empty or it has just fired. */
  #timer: NodeJS.Timeout | undefined;
  /**
   * Set while a firing that left due tasks behind waits for the next turn.
   * An immediate, not a 0 ms timer: it runs right after pending I/O, without
   * the timer's 1 ms floor, so 10,000 holds due at once lose no time to it.
   */
  #continuation: NodeJS.Immediate | undefined;
  /**
   * When `#timer` fires. It may be earlier than the heap's top (an entry was
   * removed and the timer left alone, which is cheaper than re-arming on
   * every end of a hold), never later.
   */
  #armedAt = Infinity;
  readonly #fire = () => this.#onTimer();
  #idleCheckQueued = false;
  readonly #idleCheck = () => {
    this.#idleCheckQueued = false;
    this.idle();
  };

  /** Live timer objects (a timer, or the immediate that continues a firing) this scheduler holds: 0 or 1. */
  get timers(): number {
    return this.#timer === undefined && this.#continuation === undefined ? 0 : 1;
  }

  get size(): number {
    return this.#heap.length;
  }

  /**
   * Schedules `task` at `dueAt`, or moves it there if it is already scheduled.
   * O(log n). A caller that has just read the clock passes it as `now`, which
   * saves a read on the hot path (`performance.now()` is not free); a stale
   * `now` only makes the timer late, so only heartbeats, never deadlines, pass
   * one that may be stale.
   */
  schedule(task: ScheduledTask, dueAt: number, now?: number): void {
    if (task.heapIndex >= 0) this.#removeAt(task.heapIndex);
    task.dueAt = dueAt;
    task.heapIndex = this.#heap.length;
    this.#heap.push(task);
    this.#up(task.heapIndex);
    if (dueAt < this.#armedAt) this.#arm(dueAt, now ?? monotonicNow());
  }

  /**
   * Removes `task` if it is scheduled. O(log n). When nothing is left, the
   * timer is dropped on the next tick, after the promise reactions of this
   * turn, unless something was scheduled by then: one hold after another
   * (sequential use) then keeps one timer instead of making and clearing one
   * per hold, which cost more than the rest of the lock's JavaScript.
   */
  cancel(task: ScheduledTask): void {
    if (task.heapIndex < 0) return;
    this.#removeAt(task.heapIndex);
    if (this.#heap.length === 0 && this.#timer !== undefined && !this.#idleCheckQueued) {
      this.#idleCheckQueued = true;
      process.nextTick(this.#idleCheck);
    }
  }

  /** Drops the timer now if nothing is scheduled. */
  idle(): void {
    if (this.#heap.length > 0) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#continuation !== undefined) clearImmediate(this.#continuation);
    this.#timer = undefined;
    this.#continuation = undefined;
    this.#armedAt = Infinity;
  }

  #arm(dueAt: number, now: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedAt = dueAt;
    this.#timer = setTimeout(this.#fire, Math.max(0, dueAt - now));
    // Heartbeats and bounds must never be what keeps a process alive.
    this.#timer.unref();
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#continuation = undefined;
    this.#armedAt = Infinity;
    const now = monotonicNow();
    const due: ScheduledTask[] = [];
    // At most a slice per firing: 10,000 holds taken in one burst fall due
    // together, and running all their ticks in one go stalls the event loop
    // for tens of ms. The rest runs on the next turn, right after pending I/O.
    for (let n = Math.min(this.#heap.length, MAX_TASKS_PER_FIRING); n > 0 && this.#heap[0].dueAt <= now; n--) {
      const task = this.#heap[0];
      this.#removeAt(0);
      due.push(task);
    }
    if (this.#heap.length > 0 && this.#heap[0].dueAt <= now) {
      // Not unref()'d: an unref'd immediate lets the poll phase block, and would wait for unrelated I/O.
      this.#continuation = setImmediate(this.#fire);
      // Nothing can be due before the continuation: schedule() then arms no timer.
      this.#armedAt = -Infinity;
    } else if (this.#heap.length > 0) this.#arm(this.#heap[0].dueAt, now);
    // Tasks run after the heap and the timer are settled, so they may schedule or cancel anything, themselves included.
    for (const task of due) task.run();
  }

  #removeAt(i: number): void {
    const heap = this.#heap;
    const removed = heap[i];
    const last = heap.pop()!;
    removed.heapIndex = -1;
    if (i === heap.length) return;
    heap[i] = last;
    last.heapIndex = i;
    this.#down(i);
    this.#up(last.heapIndex);
  }

  #up(i: number): void {
    const heap = this.#heap;
    const task = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].dueAt <= task.dueAt) break;
      heap[i] = heap[parent];
      heap[i].heapIndex = i;
      i = parent;
    }
    heap[i] = task;
    task.heapIndex = i;
  }

  #down(i: number): void {
    const heap = this.#heap;
    const task = heap[i];
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && heap[right].dueAt < heap[left].dueAt ? right : left;
      if (heap[child].dueAt >= task.dueAt) break;
      heap[i] = heap[child];
      heap[i].heapIndex = i;
      i = child;
    }
    heap[i] = task;
    task.heapIndex = i;
  }
}

/** The scheduler every SpaceLock of the process shares. */
export const processScheduler = new Scheduler();

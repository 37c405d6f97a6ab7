import { MAX_TASKS_PER_FIRING, Scheduler, type ScheduledTask } from '../../src/scheduler';

beforeEach(() => jest.useFakeTimers());
afterEach(() => {
  expect(jest.getTimerCount()).toBe(0);
  jest.useRealTimers();
});

function task(name: string, ran: string[], then?: () => void): ScheduledTask {
  return {
    dueAt: 0,
    heapIndex: -1,
    run: () => {
      ran.push(name);
      then?.();
    },
  };
}

describe('Scheduler', () => {
  it('runs tasks in due order on one native timer, whatever order they came in', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    const dues = [50, 10, 40, 10, 30, 20, 60, 5];
    dues.forEach((due, i) => scheduler.schedule(task(`${due}#${i}`, ran), performance.now() + due));
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(60);
    expect(ran.map((r) => Number(r.split('#')[0]))).toEqual([...dues].sort((a, b) => a - b));
    expect(scheduler.size).toBe(0);
    expect(scheduler.timers).toBe(0);
  });

  it('runs everything due at the same time in one firing', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    const at = performance.now() + 100;
    for (let i = 0; i < 50; i++) scheduler.schedule(task(String(i), ran), at);
    expect(50).toBeLessThanOrEqual(MAX_TASKS_PER_FIRING);
    jest.advanceTimersByTime(99);
    expect(ran).toHaveLength(0);
    jest.advanceTimersByTime(1);
    expect(ran).toHaveLength(50);
  });

  it('runs at most a slice of due tasks per firing, and the rest on the next turns', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    const at = performance.now() + 100;
    const total = 2 * MAX_TASKS_PER_FIRING + 10;
    for (let i = 0; i < total; i++) scheduler.schedule(task(String(i), ran), at);
    jest.advanceTimersByTime(100);
    expect(ran).toHaveLength(MAX_TASKS_PER_FIRING);
    jest.advanceTimersByTime(1);
    expect(ran).toHaveLength(2 * MAX_TASKS_PER_FIRING);
    jest.advanceTimersByTime(1);
    expect(ran).toHaveLength(total);
  });

  it('cancels any entry, keeps the rest in order, and drops its timer at the end of the turn once nothing is left', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    const tasks = Array.from({ length: 200 }, (_, i) => task(String(i), ran));
    // Due times in a scrambled order, so removals hit every position of the heap.
    tasks.forEach((t, i) => scheduler.schedule(t, performance.now() + ((i * 37) % 200) + 1));
    const cancelled = new Set(tasks.filter((_, i) => i % 3 === 0));
    for (const t of cancelled) scheduler.cancel(t);
    expect(scheduler.size).toBe(200 - cancelled.size);
    jest.advanceTimersByTime(201);
    const expected = tasks
      .map((_, i) => i)
      .filter((i) => i % 3 !== 0)
      .sort((a, b) => ((a * 37) % 200) - ((b * 37) % 200));
    expect(ran.map(Number)).toEqual(expected);
    scheduler.schedule(tasks[0], performance.now() + 10);
    scheduler.cancel(tasks[0]);
    jest.runAllTicks();
    expect(scheduler.timers).toBe(0);
  });

  it('keeps its timer for an entry scheduled in the same turn as the last one was cancelled', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    const first = task('first', ran);
    const second = task('second', ran);
    scheduler.schedule(first, performance.now() + 10);
    scheduler.cancel(first);
    scheduler.schedule(second, performance.now() + 20);
    jest.runAllTicks();
    // One timer all along, armed for the first: it fires early, finds nothing due, and waits for the second.
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(10);
    expect(ran).toEqual([]);
    jest.advanceTimersByTime(10);
    expect(ran).toEqual(['second']);
  });

  it('re-arms for an earlier entry, and after losing its earliest entry fires early and waits for the next', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    const late = task('late', ran);
    const early = task('early', ran);
    scheduler.schedule(late, performance.now() + 100);
    scheduler.schedule(early, performance.now() + 10);
    jest.advanceTimersByTime(10);
    expect(ran).toEqual(['early']);
    const earliest = task('earliest', ran);
    scheduler.schedule(earliest, performance.now() + 5);
    scheduler.cancel(earliest);
    jest.advanceTimersByTime(89);
    expect(ran).toEqual(['early']);
    jest.advanceTimersByTime(1);
    expect(ran).toEqual(['early', 'late']);
  });

  it('lets a running task schedule itself again, and moves a task that is scheduled twice', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    let rounds = 0;
    const again: ScheduledTask = task('again', ran, () => {
      if (++rounds < 3) scheduler.schedule(again, performance.now() + 10);
    });
    scheduler.schedule(again, performance.now() + 10);
    scheduler.schedule(again, performance.now() + 20);
    expect(scheduler.size).toBe(1);
    jest.advanceTimersByTime(19);
    expect(ran).toEqual([]);
    jest.advanceTimersByTime(1 + 10 + 10);
    expect(ran).toEqual(['again', 'again', 'again']);
  });
});

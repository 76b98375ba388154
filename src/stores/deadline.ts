// One timer for every pending call of a store. Each call used to arm its own setTimeout and clear it
// when Redis answered (two timer-list operations per request, and a Timeout object each). All calls
// share one timeout, so their deadlines come in the order the calls start: a FIFO queue and one
// timer armed for the oldest unsettled call is enough. A settled call is only marked; the timer,
// when it fires, skips settled calls, expires the overdue ones and re-arms for the next.

/** A call's place in the queue: `settle` it when the call ends, before or after its deadline. */
export interface Deadline {
  readonly at: number;
  expire: (() => void) | null;
}

/** Deadlines that all lie `timeout` ms after their call started, served by one timer. */
export interface Deadlines {
  /** Registers a call started now: `onExpire` runs at `now + timeout` unless the call is settled first. */
  start(onExpire: () => void): Deadline;
  /** Marks a call ended: its `onExpire` will not run. Settling twice, or after it expired, does nothing. */
  settle(deadline: Deadline): void;
  /** Calls registered and not yet settled or expired (for tests and diagnostics). */
  readonly pending: number;
}

/**
 * A deadline queue with one timer. The timer keeps the process alive only while a call is pending, as
 * a per-call timer would.
 * @example
 * const deadlines = createDeadlines(1000);
 * const d = deadlines.start(() => reject(new Error('timed out')));
 * call().then((v) => { deadlines.settle(d); resolve(v); });
 */
export function createDeadlines(timeout: number, now: () => number = Date.now): Deadlines {
  let queue: Deadline[] = [];
  let head = 0;
  let pending = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  function arm(at: number): void {
    timer = setTimeout(fire, Math.max(1, at - now()));
    if (pending === 0) timer.unref?.();
  }

  /** Drops settled calls from the front; empties the queue when nothing is left. */
  function trim(): void {
    while (head < queue.length && queue[head]!.expire === null) head++;
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
  }

  function fire(): void {
    timer = null;
    const t = now();
    while (head < queue.length) {
      const deadline = queue[head]!;
      const expire = deadline.expire;
      if (expire !== null && deadline.at > t) break;
      head++;
      if (expire !== null) {
        deadline.expire = null;
        pending--;
        expire();
      }
    }
    trim();
    if (head < queue.length) arm(queue[head]!.at);
  }

  return {
    start(onExpire) {
      const deadline: Deadline = { at: now() + timeout, expire: onExpire };
      queue.push(deadline);
      pending++;
      if (timer === null) arm(deadline.at);
      else if (pending === 1) timer.ref?.();
      return deadline;
    },
    settle(deadline) {
      if (deadline.expire === null) return;
      deadline.expire = null;
      pending--;
      if (pending === 0) timer?.unref?.();
      trim();
    },
    get pending() {
      return pending;
    },
  };
}

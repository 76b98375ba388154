// Batched per-request reads for a single-node Redis. Every cookie request reads its session; sent one
// command each, most of the client's CPU goes to the command (its object, encoding, reply, promise) rather
// than to the read. Reads asked for during one turn of the event loop (every request Node parsed in that
// turn's I/O phase) go out together as one GET_SHARED_MANY at the end of the turn (`setImmediate`), bounded
// like any other call: the batch fails closed as a whole, and each reader gets its own record or `null`.
// A read never waits for a later one: a batch is sent at the end of the turn it was asked in, or at once
// when it is full. Reads only ever move later, so a read never sees older state than it would have alone.
// With `max` 1 (a Cluster, whose keys lie in many slots) every read is sent at once, on its own.

/** What a read answers: the four fields of its GET_SHARED_MANY entry (j, ls, ie, ex), or `null`. */
export type SharedFields = readonly [string, string, string, string];

interface Waiter {
  resolve(fields: SharedFields | null): void;
  reject(error: unknown): void;
}

/** Most reads in one command: the script's reply stays small, and no batch holds up Redis for long. */
export const MAX_BATCH = 64;

/**
 * A reader that gathers the reads of one event-loop turn into one script call.
 * @example
 * const read = sharedBatcher((keys, args) => run(GET_SHARED_MANY, keys, args));
 * const fields = await read(recordKey(id), id);
 */
export function sharedBatcher(run: (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>, max = MAX_BATCH): (key: string, id: string) => Promise<SharedFields | null> {
  let keys: string[] = [];
  let ids: string[] = [];
  let waiters: Waiter[] = [];
  let scheduled = false;

  /** The end of the turn: sends what is queued (a full batch may already have gone). */
  function flush(): void {
    scheduled = false;
    if (keys.length > 0) send();
  }

  function send(): void {
    const batch = waiters;
    const sent = run(keys, [Date.now(), ...ids]);
    keys = [];
    ids = [];
    waiters = [];
    sent.then(
      (reply) => {
        const flat = reply as readonly (number | string)[];
        let at = 0;
        for (const waiter of batch) {
          if (flat[at] === 1) {
            waiter.resolve([flat[at + 1], flat[at + 2], flat[at + 3], flat[at + 4]] as unknown as SharedFields);
            at += 5;
          } else {
            waiter.resolve(null);
            at += 1;
          }
        }
      },
      (error: unknown) => {
        for (const waiter of batch) waiter.reject(error);
      },
    );
  }

  return (key, id) =>
    new Promise<SharedFields | null>((resolve, reject) => {
      keys.push(key);
      ids.push(id);
      waiters.push({ resolve, reject });
      if (keys.length >= max) send();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}

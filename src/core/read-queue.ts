// Reads many things again without a storm on the store: a set of pending items, at most `parallel` reads in
// flight, the next one started as each ends. Used when a reconnect or a lost message makes every watched
// session be read again.

/** A queue of reads, `parallel` at a time. Internal. */
export interface ReadQueue<T> {
  /** Queues each item (once, however often it is added) and starts reads up to the limit. */
  add(items: Iterable<T>): void;
  /** Drops a queued item (its watch ended). */
  delete(item: T): void;
  /** Items queued, not yet started. */
  readonly size: number;
}

/** Makes a queue that runs `read(item)` for queued items, at most `parallel` at once; `skip(item)`: started no more. */
export function readQueue<T>(parallel: number, read: (item: T) => Promise<void>, skip: (item: T) => boolean): ReadQueue<T> {
  const queue = new Set<T>();
  let inFlight = 0;

  function pump(): void {
    while (inFlight < parallel && queue.size > 0) {
      const item = queue.values().next().value as T;
      queue.delete(item);
      if (skip(item)) continue;
      inFlight += 1;
      void read(item).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  }

  return {
    add(items) {
      for (const item of items) if (!skip(item)) queue.add(item);
      pump();
    },
    delete: (item) => void queue.delete(item),
    get size() {
      return queue.size;
    },
  };
}

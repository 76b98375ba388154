import type { ClientState } from './types.js';

/**
 * What tabs tell each other: a token (`t`, refresh due at `r`), a state (`s`; for 'unavailable', the failures in a
 * row `f` and the time of the next try `w`), a claim (`c`: "I am refreshing"), a question (`q`: "who has a token?").
 */
export interface TabMessage {
  t?: string;
  r?: number;
  s?: ClientState;
  f?: number;
  w?: number;
  c?: 1;
  q?: 1;
}

/** The tabs of one origin, seen from one tab. */
export interface Tabs {
  /** Tells every other tab. */
  post(message: TabMessage): void;
  /** Runs `task` while no other tab runs one under the same name (Web Locks); without Web Locks, at once. */
  lock<T>(task: () => Promise<T>): Promise<T>;
  /** Resolves when no other tab has claimed a refresh it has not finished (waits at most 5 s). */
  quiet(): Promise<void>;
  close(): void;
}

/**
 * Coordination between the tabs of one browser profile. Under a Web Lock only one tab refreshes at a time;
 * the refreshing tab announces a claim before its request and the outcome after it (over BroadcastChannel),
 * so a tab that gets the lock next waits for that outcome and takes the new token instead of refreshing
 * again, even when the lock is granted before the outcome message arrives. Without Web Locks the claim
 * still holds the other tabs back; two tabs that claim at the same instant both refresh, and the server's
 * grace window gives both the same new token. Without BroadcastChannel each tab refreshes on its own.
 */
export function tabs(name: string, receive: (message: TabMessage) => void): Tabs {
  const locks = globalThis.navigator?.locks;
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null;
  let claimed = false;
  const waiting: (() => void)[] = [];
  const settle = (): void => {
    claimed = false;
    for (const wake of waiting.splice(0)) wake();
  };
  if (channel) {
    channel.onmessage = ({ data }: MessageEvent<TabMessage>) => {
      if (data?.c) claimed = true;
      else {
        receive(data ?? {});
        settle();
      }
    };
  }
  return {
    post: (message) => channel?.postMessage(message),
    lock: (task) => (locks ? (locks.request(name, task) as Promise<Awaited<ReturnType<typeof task>>>) : task()),
    quiet: () =>
      claimed
        ? new Promise((resolve) => {
            waiting.push(resolve);
            setTimeout(settle, 5000);
          })
        : Promise.resolve(),
    close() {
      channel?.close();
      settle();
    },
  };
}

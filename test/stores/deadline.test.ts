import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeadlines } from '../../src/stores/deadline.js';

describe('one deadline timer for every pending store call', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a call that is not settled expires once, at its own deadline', () => {
    const deadlines = createDeadlines(1000);
    const expired: string[] = [];
    deadlines.start(() => expired.push('a'));
    vi.advanceTimersByTime(400);
    deadlines.start(() => expired.push('b'));
    vi.advanceTimersByTime(599);
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(399);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(expired).toEqual(['a', 'b']);
    vi.advanceTimersByTime(5000);
    expect(expired).toEqual(['a', 'b']);
    expect(deadlines.pending).toBe(0);
  });

  it('a settled call never expires, and the calls after it still expire on time', () => {
    const deadlines = createDeadlines(1000);
    const expired: number[] = [];
    const first = deadlines.start(() => expired.push(1));
    vi.advanceTimersByTime(10);
    const second = deadlines.start(() => expired.push(2));
    vi.advanceTimersByTime(10);
    deadlines.start(() => expired.push(3));
    deadlines.settle(first);
    deadlines.settle(second);
    deadlines.settle(second); // twice: nothing
    vi.advanceTimersByTime(2000);
    expect(expired).toEqual([3]);
  });

  it('settling after the deadline passed does nothing (the caller was already told it failed)', () => {
    const deadlines = createDeadlines(50);
    let expired = 0;
    const d = deadlines.start(() => expired++);
    vi.advanceTimersByTime(60);
    deadlines.settle(d);
    expect(expired).toBe(1);
    expect(deadlines.pending).toBe(0);
  });

  it('thousands of pending calls keep one timer, and calls settled out of order expire nothing', () => {
    const deadlines = createDeadlines(1000);
    let expired = 0;
    const calls = Array.from({ length: 5000 }, () => deadlines.start(() => expired++));
    expect(vi.getTimerCount()).toBe(1);
    for (let i = calls.length - 1; i >= 0; i -= 2) deadlines.settle(calls[i]!);
    for (let i = 0; i < calls.length; i += 2) deadlines.settle(calls[i]!);
    expect(deadlines.pending).toBe(0);
    vi.advanceTimersByTime(5000);
    expect(expired).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('under steady traffic the timer fires about once per timeout, not once per call', () => {
    const deadlines = createDeadlines(1000);
    let expired = 0;
    const spy = vi.spyOn(globalThis, 'setTimeout');
    for (let ms = 0; ms < 10_000; ms++) {
      deadlines.settle(deadlines.start(() => expired++));
      const slow = deadlines.start(() => expired++);
      vi.advanceTimersByTime(1);
      deadlines.settle(slow);
    }
    expect(expired).toBe(0);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(12);
    spy.mockRestore();
  });
});

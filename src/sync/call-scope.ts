/**
 * The bound and the tally of one guarded call's lock waits on this thread.
 *
 * guard() (src/guard) bounds the lock waits of a call by its own timeout and
 * reports how long the call waited, without a parameter on every map method: a
 * synchronous call runs to completion on its thread, so one thread-wide scope at a
 * time is enough (guard() saves and restores it around each call, so nested guarded
 * calls compose). The waiting paths read it; fast paths never do, so a call that
 * does not wait pays nothing for it.
 */
import { runBlocking, type Steps } from './wait.js'

export const callScope = {
  /** Longest single lock wait allowed to the current call, in ms (Infinity: only the map's own lockTimeout). */
  bound: Infinity,
  /** ms this thread spent in blocking lock waits since the scope was opened. */
  waited: 0,
}

/** The wait bound an already running wait must respect (the tighter of `timeout` and the scope's). */
export function waitBound(timeout: number): number {
  return Math.min(timeout, callScope.bound)
}

/**
 * A blocking lock wait of at most the tighter of `timeout` (the map's lockTimeout) and
 * the scope's bound, its time added to the scope's tally. The deadline and the tally
 * start from one clock read, so a thread descheduled before the wait begins cannot
 * make the tally shorter than the wait it bounded.
 */
export function runBlockingTallied<T>(timeout: number, steps: (deadline: number) => Steps<T>): T {
  const began = performance.now()
  const bound = waitBound(timeout)
  try {
    return runBlocking(steps(bound === Infinity ? Infinity : began + bound))
  } finally {
    callScope.waited += performance.now() - began
  }
}

/**
 * The time every thread agrees on, in ms since the Unix epoch with sub-ms
 * precision: each thread's performance.now() counts from its own timeOrigin, so
 * only their sum compares across threads (and, unlike Date.now(), it does not jump
 * when the wall clock is set).
 */
export function sharedNow(): number {
  return origin + performance.now()
}

/** Read once: the getter is far slower than the sum. */
const origin = performance.timeOrigin

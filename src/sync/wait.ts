/**
 * One algorithm, two ways to wait. Every blocking algorithm in conmap is written
 * once, as a generator that yields the futex waits it needs (`WaitStep`) and
 * receives their outcome. `runBlocking` drives it with Atomics.wait (worker threads
 * and Node's main thread); `runAsync` drives it with Atomics.waitAsync, so the event
 * loop never blocks and an AbortSignal can interrupt it. Fast paths never get here.
 *
 * Waits are sliced (WAIT_SLICE_MS) so that a waiter regularly looks for a dead owner
 * even when no thread will ever notify it; an algorithm sees a slice that ran out
 * as the outcome 'timed-out' and decides whether its own deadline has passed.
 *
 * Lost wake-ups: Atomics.notify(…, 1) hands a wake-up to one waiter. An async waiter
 * whose wait the caller abandoned (abort) would swallow it, so when such an
 * abandoned wait later resolves 'ok' the wake-up is passed on.
 *
 * Aborts: a signal that is already aborted rejects before the algorithm takes a
 * single step (not even a fast-path acquisition), so it leaves no trace. A signal
 * that aborts mid-wait is delivered once, as a throw into the algorithm; the waits
 * the algorithm then makes to clean up (a Semaphore waiter giving back its place in
 * the queue needs the internal lock) are not cut short by the same signal.
 */
import { conmapError, ErrorCode } from '../errors/index.js'

export const WAIT_SLICE_MS = 50

export interface WaitStep {
  readonly i32: Int32Array
  readonly index: number
  readonly expected: number
  readonly timeoutMs: number
}

export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out'
export type Steps<T> = Generator<WaitStep, T, WaitOutcome>

/** Options of every waiting call. */
export interface WaitOptions {
  /**
   * Milliseconds to wait at most, a non-negative number (0: only if free now); then
   * the call throws ERR_LOCK_TIMEOUT naming the holder, having changed nothing. A
   * negative or non-number timeout is ERR_INVALID_ARGUMENT.
   * @default Infinity (no limit)
   */
  readonly timeout?: number | undefined
}
/** Options of every waiting call that returns a Promise. */
export interface AsyncWaitOptions extends WaitOptions {
  /**
   * Ends the wait: the Promise rejects with `signal.reason`, and the primitive is as it
   * was (an already aborted signal rejects before any step).
   * @default none
   */
  readonly signal?: AbortSignal | undefined
}

export function deadlineOf(options: WaitOptions | undefined): number {
  const timeout = options?.timeout
  if (timeout === undefined) return Infinity
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `timeout must be a non-negative number of milliseconds, got ${String(timeout)}`)
  }
  return performance.now() + timeout
}

/** The wait for the next slice, or undefined once `deadline` has passed. */
export function sliceUntil(deadline: number): number | undefined {
  const left = deadline - performance.now()
  if (left <= 0) return undefined
  return Math.min(WAIT_SLICE_MS, left)
}

export function step(i32: Int32Array, index: number, expected: number, timeoutMs: number): WaitStep {
  return { i32, index, expected, timeoutMs }
}

export function runBlocking<T>(steps: Steps<T>): T {
  let next = steps.next()
  while (!next.done) {
    const { i32, index, expected, timeoutMs } = next.value
    let outcome: WaitOutcome
    try {
      outcome = Atomics.wait(i32, index, expected, timeoutMs)
    } catch (err) {
      const forbidden = conmapError(
        ErrorCode.WAIT_FORBIDDEN,
        'this thread may not block (Atomics.wait is not allowed here, as on a browser main thread): use the async form, e.g. lockAsync()',
        err,
      )
      next = steps.throw(forbidden)
      continue
    }
    next = steps.next(outcome)
  }
  return next.value
}

export async function runAsync<T>(steps: Steps<T>, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) throw signal.reason
  let live = signal
  let next = steps.next()
  while (!next.done) {
    let outcome: WaitOutcome
    try {
      outcome = await waitAsync(next.value, live)
    } catch (reason) {
      live = undefined
      next = steps.throw(reason)
      continue
    }
    next = steps.next(outcome)
  }
  return next.value
}

function waitAsync({ i32, index, expected, timeoutMs }: WaitStep, signal: AbortSignal | undefined): Promise<WaitOutcome> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  const result = Atomics.waitAsync(i32, index, expected, timeoutMs)
  if (!result.async) return Promise.resolve(result.value)
  const pending = result.value
  return new Promise<WaitOutcome>((resolve, reject) => {
    // A pending waitAsync does not keep Node's event loop alive; this timer does,
    // and it outlives the wait's own timeout so that the wait, not the timer, decides.
    const keepAlive = setTimeout(() => undefined, timeoutMs + WAIT_SLICE_MS)
    let abandoned = false
    const onAbort = () => {
      abandoned = true
      clearTimeout(keepAlive)
      reject(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    void pending.then((outcome) => {
      signal?.removeEventListener('abort', onAbort)
      clearTimeout(keepAlive)
      if (abandoned) {
        if (outcome === 'ok') Atomics.notify(i32, index, 1)
        return
      }
      resolve(outcome)
    })
  })
}

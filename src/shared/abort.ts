/**
 * Leaving a wait on abort: one caller's signal ends that caller's wait, never the
 * work it waits for. getOrComputeAsync (src/map/compute-async.ts), Singleflight
 * (src/async/singleflight.ts) and guard() (src/guard/guard.ts) wait this way.
 */

/**
 * promise, or its rejection with signal.reason once signal aborts first (the promise
 * itself runs on). onAbort runs once, just before that rejection, also for a signal
 * aborted already: the caller leaving, for whoever counts its waiters. The abort
 * listener goes when promise settles, so a long-lived signal collects none.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined, onAbort?: (reason: unknown) => void): Promise<T> {
  if (signal === undefined) return promise
  if (signal.aborted) {
    onAbort?.(signal.reason)
    return Promise.reject(signal.reason)
  }
  return new Promise<T>((resolve, reject) => {
    const abort = (): void => {
      onAbort?.(signal.reason)
      reject(signal.reason)
    }
    signal.addEventListener('abort', abort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', abort)
        resolve(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', abort)
        reject(err)
      },
    )
  })
}

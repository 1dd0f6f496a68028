/**
 * A callback run inside a critical section that is already entered: the lock is
 * given back however fn ends (returns, throws, or its promise settles), as Go's
 * `defer mu.Unlock()`. The run* methods of the locks take the lock, then call these.
 */
export function holding<T>(release: () => void, fn: () => T): T {
  try {
    return fn()
  } finally {
    release()
  }
}

/** holding() for an async fn: the lock stays held until fn's promise settles. */
export async function holdingAsync<T>(release: () => void, fn: () => T | PromiseLike<T>): Promise<T> {
  try {
    return await fn()
  } finally {
    release()
  }
}

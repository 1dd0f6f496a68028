/**
 * The stable error codes of conmap. Code strings never change once published:
 * callers match on `err.code`, not on messages or classes (classes do not survive
 * postMessage; codes do, see transfer.ts).
 */
export const ErrorCode = {
  CONCURRENT_MAP_WRITES: 'ERR_CONCURRENT_MAP_WRITES',
  CONCURRENT_MAP_READ_WRITE: 'ERR_CONCURRENT_MAP_READ_WRITE',
  CONCURRENT_MAP_ITERATION_WRITE: 'ERR_CONCURRENT_MAP_ITERATION_WRITE',
  MAP_POISONED: 'ERR_MAP_POISONED',
  MAP_FULL: 'ERR_MAP_FULL',
  LOCK_TIMEOUT: 'ERR_LOCK_TIMEOUT',
  COMPUTE_TIMEOUT: 'ERR_COMPUTE_TIMEOUT',
  OWNER_DIED: 'ERR_OWNER_DIED',
  INVALID_KEY: 'ERR_INVALID_KEY',
  INVALID_VALUE: 'ERR_INVALID_VALUE',
  INVALID_HANDLE: 'ERR_INVALID_HANDLE',
  INVALID_ARGUMENT: 'ERR_INVALID_ARGUMENT',
  RECURSIVE_UPDATE: 'ERR_RECURSIVE_UPDATE',
  NOT_LOCKED: 'ERR_NOT_LOCKED',
  GUARD_RELEASED: 'ERR_GUARD_RELEASED',
  DEADLOCK: 'ERR_DEADLOCK',
  WAIT_FORBIDDEN: 'ERR_WAIT_FORBIDDEN',
  NEGATIVE_COUNTER: 'ERR_NEGATIVE_COUNTER',
  TOO_MANY_THREADS: 'ERR_TOO_MANY_THREADS',
  INVARIANT_VIOLATION: 'ERR_INVARIANT_VIOLATION',
  /**
   * detectLostUpdates() in mode 'throw': a task wrote a key it had read before an
   * `await` while another task wrote the key in between; the write did not happen.
   */
  LOST_UPDATE: 'ERR_LOST_UPDATE',
  /** A guard()ed call refused because its circuit breaker is open: the map was not touched. */
  BREAKER_OPEN: 'ERR_BREAKER_OPEN',
  /** An optimistic update() lost its compare-and-swap on every one of its bounded retries; nothing changed. */
  CONFLICT: 'ERR_CONFLICT',
  /**
   * A call to a Redis server got no reply (connection lost, or its timeout passed): a
   * write may or may not have happened, and it is not sent again.
   */
  REDIS_INDETERMINATE: 'ERR_REDIS_INDETERMINATE',
  /**
   * A Redis Cluster refused a call before running it (TRYAGAIN while a slot migrates,
   * redirections the client gave up following) for the whole of the call's timeout:
   * nothing happened, and the call may be made again.
   */
  REDIS_UNAVAILABLE: 'ERR_REDIS_UNAVAILABLE',
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

const known: ReadonlySet<string> = new Set(Object.values(ErrorCode))

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && known.has(value)
}

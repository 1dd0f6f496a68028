import { ErrorCode } from './codes.js'

/**
 * Base class of every error conmap throws. `code` is stable across releases and
 * across threads; `cause` carries the underlying error where there is one.
 */
export class ConmapError extends Error {
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    // As Node's own errors do ("TypeError [ERR_X]: …"), the stack's first line names the
    // class and the code: a structured clone (postMessage, a pool's failed task) keeps
    // only message and stack, and this way the code is still there to read (transfer.ts).
    Object.defineProperty(this, 'name', { value: `${new.target.name} [${code}]`, configurable: true })
    void this.stack
    Reflect.deleteProperty(this, 'name')
  }

  override get name(): string {
    return this.constructor.name
  }
}

/** Go's fatal map misuse errors, and the poisoned state a detection leaves behind. */
export class ConcurrentMapError extends ConmapError {}

/** A lock, wait or acquisition that could not complete: timeouts, dead owners, misuse. */
export class LockError extends ConmapError {}

/** A key, value, handle or option the call cannot accept; the target is unchanged. */
export class InvalidArgumentError extends ConmapError {}

/** The map's `maxBytes` ceiling would be passed; nothing was written. */
export class MapFullError extends ConmapError {}

/** A getOrComputeAsync() computation that did not end in time. */
export class ComputeError extends ConmapError {}

/** A guard()ed call refused by an open circuit breaker; the map was not touched. */
export class BreakerOpenError extends ConmapError {}

/** A call to a remote store (Redis) whose outcome is unknown: no reply came. */
export class IndeterminateError extends ConmapError {}

/** A call a remote store (Redis) refused before running it, until its timeout: nothing happened. */
export class UnavailableError extends ConmapError {}

const classByCode = {
  ERR_CONCURRENT_MAP_WRITES: ConcurrentMapError,
  ERR_CONCURRENT_MAP_READ_WRITE: ConcurrentMapError,
  ERR_CONCURRENT_MAP_ITERATION_WRITE: ConcurrentMapError,
  ERR_MAP_POISONED: ConcurrentMapError,
  ERR_RECURSIVE_UPDATE: ConcurrentMapError,
  ERR_INVARIANT_VIOLATION: ConcurrentMapError,
  ERR_LOST_UPDATE: ConcurrentMapError,
  ERR_CONFLICT: ConcurrentMapError,
  ERR_REDIS_INDETERMINATE: IndeterminateError,
  ERR_REDIS_UNAVAILABLE: UnavailableError,
  ERR_MAP_FULL: MapFullError,
  ERR_LOCK_TIMEOUT: LockError,
  ERR_COMPUTE_TIMEOUT: ComputeError,
  ERR_OWNER_DIED: LockError,
  ERR_NOT_LOCKED: LockError,
  ERR_GUARD_RELEASED: LockError,
  ERR_DEADLOCK: LockError,
  ERR_WAIT_FORBIDDEN: LockError,
  ERR_NEGATIVE_COUNTER: LockError,
  ERR_TOO_MANY_THREADS: LockError,
  ERR_INVALID_KEY: InvalidArgumentError,
  ERR_INVALID_VALUE: InvalidArgumentError,
  ERR_INVALID_HANDLE: InvalidArgumentError,
  ERR_INVALID_ARGUMENT: InvalidArgumentError,
  ERR_BREAKER_OPEN: BreakerOpenError,
} as const satisfies Record<ErrorCode, typeof ConmapError>

/** Builds the error of the right subclass for `code`. */
export function conmapError(code: ErrorCode, message: string, cause?: unknown): ConmapError {
  const Class = classByCode[code]
  return cause === undefined ? new Class(code, message) : new Class(code, message, { cause })
}

/** The error class of each code: what isConmapError(err, code) narrows to. */
export type ConmapErrorOf<C extends ErrorCode> = InstanceType<(typeof classByCode)[C]> & { readonly code: C }

/**
 * Whether err is a ConmapError (of that code): narrows err to the code's class, and
 * err.code to the code. An error that crossed a structured clone is a plain Error:
 * reviveError() gives the ConmapError back.
 */
export function isConmapError<C extends ErrorCode>(err: unknown, code: C): err is ConmapErrorOf<C>
export function isConmapError(err: unknown): err is ConmapError
export function isConmapError(err: unknown, code?: ErrorCode): err is ConmapError {
  return err instanceof ConmapError && (code === undefined || err.code === code)
}

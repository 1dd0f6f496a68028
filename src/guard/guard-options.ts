/** guard()'s options: their public shape, and their check before anything is allocated. */
import type { Key } from '../codec/index.js'
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, type Attachable, type Handle } from '../shared/handle.js'
import { AuditLog, auditLogConfig, keyAsText, type AuditEntry, type AuditLogHandle } from './audit.js'
import { breakerConfig, type BreakerOptions } from './breaker-options.js'
import { CircuitBreaker, type CircuitBreakerHandle } from './breaker.js'

/** guard()'s audit option: a new log, or an existing one (`log`) that this guard writes too. */
export interface GuardAuditOptions {
  /**
   * Calls a new log keeps (see AuditLogOptions.entries); not with `log`.
   * @default 4096
   */
  readonly entries?: number | undefined
  /**
   * How keys are recorded: 'hash' (a seeded hash, no raw keys), 'plain' (the key as
   * text) or a function making the text (say, a redaction), called in the calling
   * thread (a function that throws records no key for that call). A log made with
   * 'plain' or a function keeps text: a guard joining it (`log`) must pass 'plain' or
   * a function too.
   * @default 'hash'
   */
  readonly keys?: 'hash' | 'plain' | ((key: Key) => string) | undefined
  /**
   * Called in the calling thread with every entry this guard writes, after it is in
   * the ring (say, to ship it to a log pipeline). Keep it fast; a sink that throws
   * loses that entry for itself only, never the call's result.
   * @default none
   */
  readonly sink?: ((entry: AuditEntry) => void) | undefined
  /**
   * An AuditLog to write to (or its handle, as received in a worker) instead of a new one.
   * @default a new AuditLog
   */
  readonly log?: AuditLog | Attachable<AuditLogHandle> | undefined
}

/** Options of guard(). */
export interface GuardOptions {
  /**
   * Names the guarded map in error messages.
   * @default 'map'
   */
  readonly name?: string | undefined
  /**
   * ms each lock wait of a call may last (the tighter of this and the map's
   * lockTimeout), then the call throws ERR_LOCK_TIMEOUT having changed nothing: a
   * non-negative number or Infinity. Synchronous calls stay synchronous: the bound is
   * on waiting for locks, since running code cannot be pre-empted. For
   * getOrComputeAsync it bounds the lock waits before its first await; the
   * computation's own bound is its timeout option.
   * @default Infinity (the map's lockTimeout alone)
   */
  readonly timeout?: number | undefined
  /**
   * Once aborted, every call throws (an async one rejects) with `signal.reason`
   * without touching the map, and getOrComputeAsync calls in flight reject with it
   * (their computation goes on for other callers, as with their own signal). An
   * abort is never a failure for the breaker.
   * @default none
   */
  readonly signal?: AbortSignal | undefined
  /**
   * The circuit breaker: options for a new one, or a CircuitBreaker (or its handle,
   * as received in a worker) to share with other guards and threads.
   * @default none
   */
  readonly breaker?: BreakerOptions | CircuitBreaker | Attachable<CircuitBreakerHandle> | undefined
  /**
   * The audit log: options for a new one (`{}` for the defaults), or an AuditLog (or
   * its handle) to share.
   * @default none
   */
  readonly audit?: GuardAuditOptions | AuditLog | Attachable<AuditLogHandle> | undefined
  /**
   * Which errors count as failures for the breaker besides the ones that always do
   * (ERR_LOCK_TIMEOUT, ERR_COMPUTE_TIMEOUT, ERR_OWNER_DIED). Other errors (a bad key,
   * a full map) count as calls that succeeded: the map answered. Aborts never count.
   * An isFailure that throws counts the error as a failure.
   * @default none
   */
  readonly isFailure?: ((err: unknown) => boolean) | undefined
}

/** The options resolved: what a guard runs with. */
export interface Resolved {
  readonly name: string
  readonly timeout: number
  readonly signal: AbortSignal | undefined
  readonly breaker: CircuitBreaker | undefined
  readonly log: AuditLog | undefined
  /** The text of a key for a text log (undefined for a hash log). */
  readonly keyText: ((key: Key) => string) | undefined
  readonly sink: ((entry: AuditEntry) => void) | undefined
  readonly isFailure: ((err: unknown) => boolean) | undefined
}

const optionNames: ReadonlySet<string> = new Set(['name', 'timeout', 'signal', 'breaker', 'audit', 'isFailure'])
const auditNames: ReadonlySet<string> = new Set(['entries', 'keys', 'sink', 'log'])

function invalid(message: string): never {
  throw conmapError(ErrorCode.INVALID_ARGUMENT, `guard(): ${message}`)
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

/** Whether value is a handle of kind (or holds one as `.handle`), by its brand only: attach() checks the rest. */
function isHandleOf(kind: Kind, value: unknown): value is Attachable<Handle<typeof kind>> {
  const record = value as { conmap?: unknown; handle?: { conmap?: unknown } } | null | undefined
  return typeof record === 'object' && record !== null && (record.conmap === kind || record.handle?.conmap === kind)
}

function checkNames(record: object, known: ReadonlySet<string>, what: string): void {
  for (const name of Object.keys(record)) if (!known.has(name)) invalid(`unknown ${what} '${name}' (known: ${[...known].join(', ')})`)
}

/** Checks every option, then makes the breaker and log that are new: a bad option allocates nothing. */
export function resolveGuardOptions(options: unknown): Resolved {
  if (!isPlainObject(options)) invalid(`options must be a plain object, got ${describeValue(options)}`)
  checkNames(options, optionNames, 'option')
  const o = options as GuardOptions
  const name = o.name ?? 'map'
  if (typeof name !== 'string') invalid(`name must be a string, got ${describeValue(o.name)}`)
  const timeout = o.timeout ?? Infinity
  if (typeof timeout !== 'number' || Number.isNaN(timeout) || timeout < 0) invalid(`timeout must be a non-negative number of ms or Infinity, got ${describeValue(o.timeout)}`)
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) invalid(`signal must be an AbortSignal, got ${describeValue(o.signal)}`)
  if (o.isFailure !== undefined && typeof o.isFailure !== 'function') invalid(`isFailure must be a function, got ${describeValue(o.isFailure)}`)
  const makeBreaker = breakerMaker(o.breaker)
  const makeAudit = auditMaker(o.audit)
  return { name, timeout, signal: o.signal, breaker: makeBreaker(), ...makeAudit(), isFailure: o.isFailure }
}

function breakerMaker(option: GuardOptions['breaker']): () => CircuitBreaker | undefined {
  if (option === undefined) return () => undefined
  if (option instanceof CircuitBreaker) return () => option
  if (isHandleOf(Kind.CircuitBreaker, option)) return () => CircuitBreaker.attach(option)
  if (!isPlainObject(option)) invalid(`breaker must be breaker options, a CircuitBreaker or its handle, got ${describeValue(option)}`)
  breakerConfig(option)
  return () => new CircuitBreaker(option)
}

type AuditParts = Pick<Resolved, 'log' | 'keyText' | 'sink'>

function auditMaker(option: GuardOptions['audit']): () => AuditParts {
  if (option === undefined) return () => ({ log: undefined, keyText: undefined, sink: undefined })
  const raw: unknown = option instanceof AuditLog || isHandleOf(Kind.AuditLog, option) ? { log: option } : option
  if (!isPlainObject(raw)) invalid(`audit must be audit options, an AuditLog or its handle, got ${describeValue(option)}`)
  checkNames(raw, auditNames, 'audit option')
  const given = raw as GuardAuditOptions
  const { keys, sink, log } = given
  if (keys !== undefined && keys !== 'hash' && keys !== 'plain' && typeof keys !== 'function') invalid(`audit.keys must be 'hash', 'plain' or a function (key) => string, got ${describeValue(keys)}`)
  if (sink !== undefined && typeof sink !== 'function') invalid(`audit.sink must be a function, got ${describeValue(sink)}`)
  const keyText = keys === 'plain' ? keyAsText : typeof keys === 'function' ? keys : undefined
  const mode = keyText === undefined ? 'hash' : 'text'
  if (log === undefined) {
    const config = { entries: given.entries, keys: mode } as const
    auditLogConfig(config)
    return () => ({ log: new AuditLog(config), keyText, sink })
  }
  if (given.entries !== undefined) invalid('audit.entries is for a new log: the log given has its size')
  if (!(log instanceof AuditLog) && !isHandleOf(Kind.AuditLog, log)) invalid(`audit.log must be an AuditLog or its handle, got ${describeValue(log)}`)
  const joined = log instanceof AuditLog ? log : AuditLog.attach(log)
  if (joined.keys !== mode) {
    invalid(joined.keys === 'text' ? "the audit log keeps key text: pass audit.keys 'plain' or a function" : `the audit log keeps key hashes: audit.keys must be 'hash', got ${describeValue(keys)}`)
  }
  return () => ({ log: joined, keyText, sink })
}

/**
 * guard(map, options): the map's own API back, each operation passing a circuit
 * breaker, bounded lock waits, an abort signal and an audit log on its way.
 *
 * Shape. The guarded object has the map's prototype (so `instanceof` still holds)
 * and an own property for every member of the map: operations in ops.ts are
 * wrapped, other methods and accessors forwarded to the map, and a method returning
 * the map itself (set() returns `this`) returns the guarded object instead. Nothing
 * is specific to SharedMap: any map with these methods, sync or async, is guarded the
 * same way, so a call stays sync when the map's is.
 *
 * One call, in order: an aborted signal refuses it (audited 'aborted'); the breaker
 * admits it or refuses it (ERR_BREAKER_OPEN, audited); it runs with the call scope
 * (sync/call-scope.ts) bounding its lock waits by the timeout and tallying them; its
 * outcome settles the breaker's permit and is audited. A result that is a promise
 * settles when it does; an iterator's steps each run in the scope, and the whole
 * iteration is one call.
 */
import { isThenable, type Key } from '../codec/index.js'
import { describeValue } from '../codec/preview.js'
import { conmapError, ErrorCode, isConmapError } from '../errors/index.js'
import { untilAborted } from '../shared/abort.js'
import { callScope } from '../sync/call-scope.js'
import type { AuditEntry, AuditLog, AuditOutcome } from './audit.js'
import type { BreakerOutcome, CircuitBreaker } from './breaker.js'
import { resolveGuardOptions, type GuardOptions, type Resolved } from './guard-options.js'
import { ITERATOR_OP, ops, type OpSpec } from './ops.js'

/** What guard() adds to the map's API. */
export interface GuardedParts<O extends GuardOptions = GuardOptions> {
  /** The breaker this guard's calls pass (undefined without the breaker option): its `state` is the same in every thread. */
  readonly breaker: 'breaker' extends keyof O ? (undefined extends O['breaker'] ? CircuitBreaker | undefined : CircuitBreaker) : undefined
  /** The audit log this guard writes (undefined without the audit option). */
  readonly auditLog: 'audit' extends keyof O ? (undefined extends O['audit'] ? AuditLog | undefined : AuditLog) : undefined
  /**
   * The audit log's entries, oldest first, as written by every thread (AuditLog.read);
   * empty without the audit option.
   */
  audit(): AuditEntry[]
}

/** A guarded map: the map's own API, with the same types, and GuardedParts. */
export type Guarded<M extends object, O extends GuardOptions = GuardOptions> = M & GuardedParts<O>

/**
 * The map's own API, each operation guarded: a circuit breaker shared by every thread
 * (open: calls throw ERR_BREAKER_OPEN at once, not touching the map), a bound on each
 * lock wait (ERR_LOCK_TIMEOUT), an abort signal (calls throw or reject with its
 * reason, changing nothing) and an audit log in shared memory. Sync calls stay sync.
 * Guarded operations are those of the map contract (get, set, has, delete, update,
 * getOrCompute, getOrComputeAsync, loadOrStore, …, iteration); other members pass
 * through. Any object with these methods can be guarded, sync or async.
 *
 * Failures for the breaker: ERR_LOCK_TIMEOUT, ERR_COMPUTE_TIMEOUT, ERR_OWNER_DIED,
 * calls that waited breaker.slowCall ms or more for locks, and what isFailure says.
 * In a worker, guard the attached map with the breaker's and log's handles to share
 * them: `guard(SharedMap.attach(h.map), { breaker: h.breaker, audit: h.log })`.
 *
 * @param map the map to guard (left as it is: guard() never changes it)
 * @throws ConmapError ERR_INVALID_ARGUMENT for a map that is no object, or an
 *   unknown or bad option (nothing is allocated then); the guarded calls throw
 *   ERR_BREAKER_OPEN when refused, ERR_LOCK_TIMEOUT past the timeout, the signal's
 *   reason once it aborted, and whatever the map throws
 * @example
 * ```ts
 * const sessions = guard(map, {
 *   name: 'sessions',
 *   timeout: 50,
 *   breaker: { failures: 5, window: 10_000, resetAfter: 5_000, halfOpenCalls: 3, slowCall: 10 },
 *   audit: { entries: 4096, keys: 'hash' },
 * })
 * sessions.get('s1')                 // Session | undefined, sync
 * sessions.breaker.state             // 'closed' | 'open' | 'halfOpen', the same in every thread
 * new Worker(file, { workerData: { map: map.handle, breaker: sessions.breaker.handle, log: sessions.auditLog.handle } })
 * // in the worker:
 * const sessions = guard(SharedMap.attach(workerData.map), { breaker: workerData.breaker, audit: workerData.log })
 * ```
 */
export function guard<M extends object, O extends GuardOptions = {}>(map: M, options?: O & GuardOptions): Guarded<M, O> {
  if ((typeof map !== 'object' && typeof map !== 'function') || map === null) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `guard() takes a map object, got ${describeValue(map)}`)
  }
  return build(map, new Guardian(map, resolveGuardOptions(options === undefined ? {} : options))) as Guarded<M, O>
}

type Method = (...args: unknown[]) => unknown

/** Parameters of the fixed wrapper: the most any operation of ops.ts takes (compareAndSwap, setIfVersion: key, two values, options). */
const MAX_FIXED = 4

/**
 * Closes the call scope a wrapper opened over an enclosing one (its bound and tally
 * given): the enclosing bound back, and with a tally of its own, this call's waits
 * added to the enclosing tally. Returns this call's waits in ms (0 untallied).
 */
function closeScope(outerBound: number, outerWaited: number, tallies: boolean): number {
  callScope.bound = outerBound
  if (!tallies) return 0
  const waited = callScope.waited
  callScope.waited = outerWaited + waited
  return waited
}

/** fn called on map with the first `count` of a..d: the callee sees as many arguments as the caller passed. */
function callFixed(fn: Method, map: object, count: number, a: unknown, b: unknown, c: unknown, d: unknown): unknown {
  if (count === 1) return fn.call(map, a)
  if (count === 2) return fn.call(map, a, b)
  if (count === 0) return fn.call(map)
  return count === 3 ? fn.call(map, a, b, c) : fn.call(map, a, b, c, d)
}

/** One guard's state and the steps of a guarded call. */
class Guardian {
  readonly map: object
  readonly name: string
  readonly timeout: number
  readonly signal: AbortSignal | undefined
  readonly breaker: CircuitBreaker | undefined
  readonly log: AuditLog | undefined
  readonly slowCall: number
  readonly #keyText: ((key: Key) => string) | undefined
  readonly #sink: ((entry: AuditEntry) => void) | undefined
  readonly #isFailure: ((err: unknown) => boolean) | undefined
  /** The guarded object, to return in place of the map. */
  guarded: object = {}

  constructor(map: object, resolved: Resolved) {
    this.map = map
    this.name = resolved.name
    this.timeout = resolved.timeout
    this.signal = resolved.signal
    this.breaker = resolved.breaker
    this.log = resolved.log
    this.slowCall = resolved.breaker?.options.slowCall ?? Infinity
    this.#keyText = resolved.keyText
    this.#sink = resolved.sink
    this.#isFailure = resolved.isFailure
  }

  /**
   * The wrapper of one operation of the map. Operations that take a signal or return
   * an iterator get the general wrapper (general()); every other one, the wrapper
   * that runs on each get and set, gets one of its own with fixed parameters, the
   * whole call inline, and nothing allocated or clock read: the breaker admits with
   * one load and settles a success for nothing unless it counts calls, and the call
   * scope is touched only where something reads it: its bound for a timeout, its
   * tally for a slowCall or a log (without them, the call's waits simply add to an
   * enclosing call's tally, as they would through a tally of its own). Whether the operation is async, so that a
   * refusal rejects rather than throws, is known for async functions and learnt from
   * the first result that is a promise.
   */
  method(op: string, spec: OpSpec, fn: Method): Method {
    if (spec.iterator || spec.signalAt !== undefined || fn.length > MAX_FIXED) return this.general(op, spec, fn, { async: fn.constructor.name === 'AsyncFunction' })
    const g = this
    const map = this.map
    const timeout = this.timeout
    const signal = this.signal
    const breaker = this.breaker
    const keyed = spec.key
    const tallies = this.slowCall !== Infinity || this.log !== undefined
    const scoped = timeout !== Infinity || tallies
    // A success is settled only where it counts: a half-open probe (an odd permit), or a breaker that counts calls
    // or slow calls, or a log to write; a closed count-rule breaker records failures only.
    const settles = this.log !== undefined || (breaker !== undefined && (this.slowCall !== Infinity || breaker.options.failureRate !== 0))
    const state = { async: fn.constructor.name === 'AsyncFunction' }
    const general = this.general(op, spec, fn, state)
    // Kept under V8's inlining limit (460 bytes of bytecode; 458 on Node 20, 442 on Node 24) so that it is inlined into the caller's loop: whatever is
    // not the admitted call's own path (an abort, a refusal, more arguments) goes to the general wrapper, which checks again.
    return function guardedOperation(a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown {
      const count = arguments.length
      let permit = 0
      if (count > MAX_FIXED || (signal !== undefined && signal.aborted) || (breaker !== undefined && (permit = breaker.tryAdmit()) < 0)) {
        return general.apply(undefined, arguments as unknown as unknown[])
      }
      // The call scope, opened here and closed on both paths below (one handler, no function of its own to inline).
      const outerBound = callScope.bound
      const outerWaited = callScope.waited
      if (scoped) {
        callScope.bound = outerBound < timeout ? outerBound : timeout
        if (tallies) callScope.waited = 0
      }
      let result: unknown
      try {
        result = callFixed(fn, map, count, a, b, c, d)
      } catch (err) {
        g.end(op, keyed ? a : undefined, permit, true, err, scoped ? closeScope(outerBound, outerWaited, tallies) : 0)
        throw err
      }
      const waited = scoped ? closeScope(outerBound, outerWaited, tallies) : 0
      if (isThenable(result)) return g.promised(op, keyed ? a : undefined, permit, result as PromiseLike<unknown>, waited, state)
      if (settles || (permit & 1) === 1) g.succeeded(op, keyed ? a : undefined, permit, waited)
      return result === map ? g.guarded : result
    }
  }

  /** The fixed wrapper's call that returned a promise: the operation is async from now on, the call ends when the promise settles. */
  promised(op: string, key: unknown, permit: number, result: PromiseLike<unknown>, waited: number, state: { async: boolean }): Promise<unknown> {
    state.async = true
    return this.later(op, key, permit, result, waited, undefined, true)
  }

  /** The wrapper of any operation: its arguments passed on as they came (`arguments`, unlike rest parameters, reaches apply() uncopied). */
  general(op: string, spec: OpSpec, fn: Method, state: { async: boolean }): Method {
    const g = this
    const map = this.map
    const timeout = this.timeout
    const signalAt = spec.signalAt
    if (signalAt !== undefined) state.async = true
    return function guardedOperation() {
      const key = spec.key ? arguments[0] : undefined
      const signal = g.signal
      if (signal !== undefined && signal.aborted) return g.refuse(op, key, 'aborted', state.async, signal.reason)
      let permit = 0
      const breaker = g.breaker
      if (breaker !== undefined) {
        permit = breaker.tryAdmit()
        if (permit < 0) return g.refuse(op, key, ErrorCode.BREAKER_OPEN, state.async, breaker.refusal(`${g.name}.${op}()`))
      }
      const withSignal = signalAt === undefined ? undefined : argsWithSignal(arguments, signalAt, signal)
      const callSignal = withSignal?.signal
      const outerBound = callScope.bound
      const outerWaited = callScope.waited
      callScope.bound = outerBound < timeout ? outerBound : timeout
      callScope.waited = 0
      let result: unknown
      try {
        result = withSignal?.args === undefined ? fn.apply(map, arguments as unknown as unknown[]) : fn.apply(map, withSignal.args)
      } catch (err) {
        const waited = callScope.waited
        callScope.bound = outerBound
        callScope.waited = outerWaited + waited
        g.end(op, key, permit, true, err, waited, callSignal)
        throw err
      }
      const waited = callScope.waited
      callScope.bound = outerBound
      callScope.waited = outerWaited + waited
      if (spec.iterator) return iterate(g, op, permit, result as Iterator<unknown>, waited)
      if (isThenable(result)) {
        state.async = true
        return g.later(op, key, permit, result as PromiseLike<unknown>, waited, callSignal, signalAt === undefined)
      }
      g.succeeded(op, key, permit, waited)
      return result === map ? g.guarded : result
    }
  }

  /** A sync call that returned: settles the breaker's permit and audits it. */
  succeeded(op: string, key: unknown, permit: number, waited: number): void {
    if (this.breaker !== undefined) this.breaker.settle(permit, waited >= this.slowCall ? 'failure' : 'success')
    if (this.log !== undefined) this.audit(op, key, 'ok', waited)
  }

  /** A refused call: audited, and thrown (rejected, for an async operation). */
  refuse(op: string, key: unknown, outcome: AuditOutcome, async: boolean, reason: unknown): unknown {
    if (this.log !== undefined) this.audit(op, key, outcome, 0)
    if (async) return Promise.reject(reason)
    throw reason
  }

  later(op: string, key: unknown, permit: number, result: PromiseLike<unknown>, waited: number, callSignal: AbortSignal | undefined, race: boolean): Promise<unknown> {
    const settled = Promise.resolve(result).then(
      (value) => {
        this.end(op, key, permit, false, undefined, waited, undefined)
        return value === this.map ? this.guarded : value
      },
      (err: unknown) => {
        this.end(op, key, permit, true, err, waited, callSignal)
        throw err
      },
    )
    // A map whose method takes no signal: the caller stops waiting; the call itself runs on.
    return race && this.signal !== undefined ? untilAborted(settled, this.signal) : settled
  }

  /** Settles the breaker's permit and audits the call. */
  end(op: string, key: unknown, permit: number, threw: boolean, error: unknown, waited: number, callSignal?: AbortSignal): void {
    const aborted = threw && this.#isAbort(error, callSignal)
    if (this.breaker !== undefined) {
      let outcome: BreakerOutcome = 'success'
      if (aborted) outcome = 'ignored'
      else if (waited >= this.slowCall || (threw && this.#fails(error))) outcome = 'failure'
      this.breaker.settle(permit, outcome)
    }
    if (this.log !== undefined) this.audit(op, key, !threw ? 'ok' : aborted ? 'aborted' : isConmapError(error) ? error.code : 'error', waited)
  }

  #isAbort(err: unknown, callSignal: AbortSignal | undefined): boolean {
    const signal = this.signal
    return (signal !== undefined && signal.aborted && err === signal.reason) || (callSignal !== undefined && callSignal.aborted && err === callSignal.reason)
  }

  #fails(err: unknown): boolean {
    if (isConmapError(err) && (err.code === ErrorCode.LOCK_TIMEOUT || err.code === ErrorCode.COMPUTE_TIMEOUT || err.code === ErrorCode.OWNER_DIED)) return true
    if (this.#isFailure === undefined) return false
    try {
      return this.#isFailure(err) === true
    } catch {
      return true
    }
  }

  /** Writes the call's entry (call only with a log). */
  audit(op: string, key: unknown, outcome: AuditOutcome, waited: number): void {
    const log = this.log as AuditLog
    const valid = typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint'
    let recorded: Key | undefined = valid ? key : undefined
    if (recorded !== undefined && this.#keyText !== undefined) {
      try {
        recorded = String(this.#keyText(recorded))
      } catch {
        // A redaction that fails records no key rather than fail a call that is over (documented on keys).
        recorded = undefined
      }
    }
    const sink = this.#sink
    const entry = log.record(op, recorded, outcome, waited, sink !== undefined)
    if (sink === undefined || entry === undefined) return
    try {
      sink(entry)
    } catch {
      // The sink's own failure must not change the call's outcome (documented on sink).
    }
  }
}

/** An iteration as one guarded call: each step runs in the call scope; its end (done, return(), a throw) settles it. */
function* iterate(g: Guardian, op: string, permit: number, inner: Iterator<unknown>, waitedBefore: number): Generator<unknown, undefined, undefined> {
  let waited = waitedBefore
  let ended = false
  try {
    for (;;) {
      const signal = g.signal
      if (signal !== undefined && signal.aborted) throw signal.reason
      const outerBound = callScope.bound
      const outerWaited = callScope.waited
      callScope.bound = Math.min(outerBound, g.timeout)
      callScope.waited = 0
      let step: IteratorResult<unknown>
      try {
        step = inner.next()
      } finally {
        const stepWaited = callScope.waited
        waited += stepWaited
        callScope.bound = outerBound
        callScope.waited = outerWaited + stepWaited
      }
      if (step.done === true) break
      yield step.value
    }
    ended = true
    g.end(op, undefined, permit, false, undefined, waited, undefined)
    return undefined
  } catch (err) {
    ended = true
    g.end(op, undefined, permit, true, err, waited, undefined)
    inner.return?.()
    throw err
  } finally {
    if (!ended) {
      inner.return?.()
      g.end(op, undefined, permit, false, undefined, waited, undefined)
    }
  }
}

/**
 * The signal a call with an options argument at `at` runs under (its own, joined
 * with the guard's), and its arguments with that signal in the options when the
 * guard has one. Options that are no object are left for the map to refuse.
 */
function argsWithSignal(args: IArguments, at: number, signal: AbortSignal | undefined): { args: unknown[] | undefined; signal: AbortSignal | undefined } {
  const given: unknown = args[at]
  if (given !== undefined && (typeof given !== 'object' || given === null)) return { args: undefined, signal: undefined }
  const found = (given as { signal?: unknown } | undefined)?.signal
  const own = found instanceof AbortSignal ? found : undefined
  if (signal === undefined) return { args: undefined, signal: own }
  const joined = own === undefined ? signal : AbortSignal.any([own, signal])
  const copy: unknown[] = Array.from(args as ArrayLike<unknown>)
  copy[at] = { ...(given as object | undefined), signal: joined }
  return { args: copy, signal: joined }
}

/** The guarded object: the map's prototype, an own property for each of the map's members, and GuardedParts. */
function build(map: object, g: Guardian): object {
  const guarded: object = Object.create(Object.getPrototypeOf(map) as object | null)
  g.guarded = guarded
  const seen = new Set<PropertyKey>(['constructor'])
  for (let source: object | null = map; source !== null && source !== Object.prototype; source = Object.getPrototypeOf(source) as object | null) {
    for (const name of Reflect.ownKeys(source)) {
      if (seen.has(name)) continue
      seen.add(name)
      const descriptor = Object.getOwnPropertyDescriptor(source, name) as PropertyDescriptor
      Object.defineProperty(guarded, name, memberOf(map, g, name, descriptor))
    }
  }
  const parts: PropertyDescriptorMap = {
    breaker: { value: g.breaker, enumerable: true },
    auditLog: { value: g.log, enumerable: true },
    audit: { value: () => g.log?.read() ?? [] },
  }
  Object.defineProperties(guarded, parts)
  return guarded
}

function memberOf(map: object, g: Guardian, name: PropertyKey, descriptor: PropertyDescriptor): PropertyDescriptor {
  const { get, set, value } = descriptor
  if (get !== undefined || set !== undefined) {
    return { get: get === undefined ? undefined : () => get.call(map), set: set === undefined ? undefined : (next: unknown) => set.call(map, next), configurable: true }
  }
  if (typeof value !== 'function') return { get: () => (map as Record<PropertyKey, unknown>)[name], enumerable: descriptor.enumerable ?? false, configurable: true }
  const fn = value as Method
  const op = name === Symbol.iterator ? ITERATOR_OP : typeof name === 'string' ? name : undefined
  const spec = op === undefined ? undefined : ops.get(op)
  if (op !== undefined && spec !== undefined) return { value: g.method(op, spec, fn), writable: true, configurable: true }
  return {
    value: (...args: unknown[]) => {
      const result = fn.apply(map, args)
      return result === map ? g.guarded : result
    },
    writable: true,
    configurable: true,
  }
}

/**
 * Counting a map's calls: a SharedMap made with metrics gets, as own properties, a
 * wrapper of each method of ops.ts that calls the class's method and records the
 * outcome in this thread's row. A map without metrics keeps the class's methods
 * untouched, so it pays nothing, not even a branch. Methods call each other only
 * through the class (never through `this.get` and kin), so no call counts twice.
 *
 * Each wrapper first asks whether anyone listens on the TracingChannel
 * 'conmap:map:op' (channels.ts); if so the call goes through the traced path,
 * which publishes around the counting wrapper of the same op.
 */
import { keyKind, type Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { MapCore } from '../map/core.js'
import { OPS, Outcome, errorOutcome, type OpSpec } from './ops.js'
import type { Recorder } from './recorder.js'
import { keyHash, opAsyncEnd, opEnd, opError, opStart, tracePromise, traceSync, type MapOpMessage } from './channels.js'

type Method = (this: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown) => unknown

/** The longest parameter list of an op (setIfVersion with options): wrappers pass four arguments, no rest array. */
const MAX_ARITY = 4

export function instrument(map: object, core: MapCore, recorder: Recorder): void {
  const proto = Object.getPrototypeOf(map) as Record<string, unknown>
  // Optimistic read retries are counted by the core; the row gets them after each call.
  const seen = { retries: core.retries }
  recorder.subject = map
  const settle = (): void => {
    recorder.retried(core.retries - seen.retries)
    seen.retries = core.retries
  }
  OPS.forEach((spec, op) => {
    const method = proto[spec.name]
    if (typeof method !== 'function') return
    if (method.length > MAX_ARITY) throw conmapError(ErrorCode.INVARIANT_VIOLATION, `metrics: SharedMap.${spec.name} takes more than ${MAX_ARITY} arguments, which its wrapper would drop`)
    Object.defineProperty(map, spec.name, { value: wrapper(spec, op, method as Method, core, recorder, seen, settle), writable: true, configurable: true })
  })
}

/** What a wrapper closes over. */
interface Context {
  readonly method: Method
  readonly outcome: (result: unknown) => number
  readonly recorder: Recorder
  readonly cells: number
  readonly core: MapCore
  readonly seen: { retries: number }
  readonly settle: () => void
  readonly failed: (err: unknown) => void
  readonly sample: (key: unknown) => void
  /** The traced path of this op (channels.ts), for the wrapper that tests for subscribers. */
  readonly traced: (self: unknown, a: unknown, b: unknown, c: unknown, d: unknown) => unknown
  readonly start: typeof opStart
  readonly end: typeof opEnd
  readonly error: typeof opError
}

/**
 * The wrapper of a synchronous op, as source: compiled once per op (makers), so that
 * each op's wrapper has call sites of its own. Closures of one function literal share
 * their feedback in V8: one literal for all ops would see every method and outcome
 * function at its calls, which then are not inlined (measured: ~30 ns a call).
 */
const SYNC = `return function (a, b, c, d) {
  if (TRACED && (ctx.start.hasSubscribers || ctx.end.hasSubscribers || ctx.error.hasSubscribers)) return ctx.traced(this, a, b, c, d)
  let result
  try {
    result = ctx.method.call(this, a, b, c, d)
  } catch (err) {
    ctx.failed(err)
    throw err
  }
  ctx.recorder.count(ctx.cells + ctx.outcome(result))
  if (KEYED && --ctx.recorder.gap === 0) ctx.sample(a)
  if (ctx.core.retries !== ctx.seen.retries) ctx.settle()
  return result
}`

type Maker = (ctx: Context) => Method
const makers: Maker[] = []

/** The maker of op's wrapper: `traced`, the one the map gets; else the counting wrapper its traced path calls. */
function makerOf(op: number, keyed: boolean, traced: boolean): Maker {
  const at = op * 2 + (traced ? 1 : 0)
  let maker = makers[at]
  if (maker === undefined) {
    try {
      maker = new Function('ctx', SYNC.replace('KEYED', String(keyed)).replace('TRACED', String(traced))) as Maker
    } catch (err) {
      throw conmapError(ErrorCode.INVALID_ARGUMENT, 'metrics: true compiles its counting wrappers with new Function, which this process forbids (--disallow-code-generation-from-strings)', err)
    }
    makers[at] = maker
  }
  return maker
}

function wrapper(spec: OpSpec, op: number, method: Method, core: MapCore, recorder: Recorder, seen: { retries: number }, settle: () => void): Method {
  const failed = (err: unknown): void => {
    recorder.fail(op, errorOutcome(err))
    settle()
  }
  const sample = (key: unknown): void => recorder.sampled(core.hash(key as Key, keyKind(key as Key)))
  const cells = op * 3
  const message = (self: unknown, a: unknown): MapOpMessage => ({ map: self as object, op: spec.name, key: spec.keyed ? keyHash(core, a) : undefined, outcome: undefined })
  if (!spec.async) {
    const base = { method, outcome: spec.outcome, recorder, cells, core, seen, settle, failed, sample, start: opStart, end: opEnd, error: opError }
    const counted = makerOf(op, spec.keyed, false)({ ...base, traced: () => undefined })
    const traced = (self: unknown, a: unknown, b: unknown, c: unknown, d: unknown): unknown => traceSync(message(self, a), counted, self, spec.outcome, a, b, c, d)
    return makerOf(op, spec.keyed, true)({ ...base, traced })
  }
  const counted = function (this: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown {
    return (method.call(this, a, b, c, d) as Promise<unknown>).then(
      (value) => {
        recorder.count(cells + Outcome.ok)
        if (--recorder.gap === 0) sample(a)
        settle()
        return value
      },
      (err: unknown) => {
        failed(err)
        throw err
      },
    )
  }
  return function (this: unknown, a?: unknown, b?: unknown, c?: unknown, d?: unknown): unknown {
    if (opStart.hasSubscribers || opEnd.hasSubscribers || opError.hasSubscribers || opAsyncEnd.hasSubscribers) return tracePromise(message(this, a), counted, this, a, b, c, d)
    return counted.call(this, a, b, c, d)
  }
}

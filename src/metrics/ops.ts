/**
 * The SharedMap methods that metrics count, in the order of their cells (layout.ts:
 * an op's index is its place here, so new ops go at the end), and how each call's
 * result tells its outcome: a hit (the key was there), a miss (it was not, or the
 * condition of a compare-and-swap failed), or another success. A call that throws
 * counts under its error code (outcome index past the three successes).
 */
import { ErrorCode } from '../errors/index.js'

export const Outcome = { hit: 0, miss: 1, ok: 2 } as const
type OutcomeIndex = (typeof Outcome)[keyof typeof Outcome]

export interface OpSpec {
  readonly name: string
  /** Its first argument is a key, which the hot-key sampler may take. */
  readonly keyed: boolean
  /** The method returns a Promise: the outcome is its settlement. */
  readonly async: boolean
  readonly outcome: (result: unknown) => OutcomeIndex
}

const ok = (): OutcomeIndex => Outcome.ok
const present = (result: unknown): OutcomeIndex => (result === undefined ? Outcome.miss : Outcome.hit)
const truth = (result: unknown): OutcomeIndex => (result === true ? Outcome.hit : Outcome.miss)
const loaded = (result: unknown): OutcomeIndex => ((result as { loaded: boolean }).loaded ? Outcome.hit : Outcome.miss)
const applied = (result: unknown): OutcomeIndex => (result === true ? Outcome.ok : Outcome.miss)

function op(name: string, outcome: (result: unknown) => OutcomeIndex, keyed = true, async = false): OpSpec {
  return { name, keyed, async, outcome }
}

export const OPS: readonly OpSpec[] = [
  op('get', present),
  op('has', truth),
  op('set', ok),
  op('delete', truth),
  op('loadOrStore', loaded),
  op('loadAndDelete', loaded),
  op('swap', loaded),
  op('compareAndSwap', applied),
  op('compareAndDelete', applied),
  op('update', ok),
  op('getOrCompute', ok),
  op('getOrComputeAsync', ok, true, true),
  op('ttlOf', present),
  op('touch', truth),
  op('sweep', ok, false),
  op('clear', ok, false),
  op('range', ok, false),
  op('forEach', ok, false),
  op('snapshot', ok, false),
  op('getVersioned', present),
  op('setIfVersion', applied),
  op('deleteIfVersion', applied),
  op('getMany', ok, false),
  op('setMany', ok, false),
  op('deleteMany', ok, false),
]

/** Error outcomes: every conmap code, then 'error' for anything else thrown (a callback's own error). */
export const ERROR_OUTCOMES: readonly string[] = [...Object.values(ErrorCode), 'error']

/** The outcome index (past the successes) of what a call threw. */
export function errorOutcome(err: unknown): number {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined
  const index = typeof code === 'string' ? ERROR_OUTCOMES.indexOf(code) : -1
  return 3 + (index < 0 ? ERROR_OUTCOMES.length - 1 : index)
}

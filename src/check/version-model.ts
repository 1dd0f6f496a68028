/**
 * The sequential specification of one key's versions: getVersioned, setIfVersion
 * and deleteIfVersion, on top of the value model (map-model.ts).
 *
 * Versions are numbers the map picks, so the model does not predict them: it binds
 * them symbolically. Its state is the value model's value id plus what the
 * operations linearized so far have proved about the version of the key's current
 * record (or, while the key is absent, of its next one):
 *   least   the least version it can have: one above the least the record before
 *           it can have had, since each write's record takes a version above the
 *           one before (a version names one write, and versions rise); 1 at first
 *           (no record has ABSENT_VERSION, 0);
 *   bound   the record was observed and its version is exactly `least`: by
 *           getVersioned, or as the expected version of a setIfVersion /
 *           deleteIfVersion that succeeded on it;
 *   except  versions above `least` that a failed setIfVersion / deleteIfVersion
 *           proved an unbound record does not have (ascending, and never holding
 *           `least` itself: `least` moves past them, so equal knowledge is one state).
 * A write starts a new unbound record; a delete (or a vanish, in a cache) leaves
 * the key absent with `least` for its next record. Choosing the least version a
 * replaced record could have had loses nothing, since nothing can observe it any
 * more, so the model is exact: a history passes if and only if some assignment of
 * integers to its writes satisfies every answer. An A → B → A history that a
 * setIfVersion with A's version accepts is refused: B's write moved `least` above
 * A's version, and A's second write above that.
 *
 * Killed writers: a writer that dies while replacing or removing a record leaves
 * the old record in place marked DEAD, and its version then reads as the shard's
 * last position (src/map/versions.ts): it rises with the shard's writes, never
 * below what it was, still below the key's next record. An operation that may
 * have run after a writer of its key was killed (PreparedOp.relaxed) therefore
 * sees a bound record's version as "the one observed or above", and may fail
 * whatever version it expects. Everything else stays exact.
 *
 * States are interned as non-negative integers (their id is their memo key), so
 * the vanishing wrapper (vanish.ts) and the search's memo work on them unchanged.
 */
import type { Operation } from './history.js'
import { ABSENT, type PreparedOp } from './map-model.js'
import { Interner } from './interner.js'
import type { Model } from './model.js'

/** SharedMap's ABSENT_VERSION: setIfVersion's "only if absent". No present record has it. */
const ABSENT_VERSION = 0
const NO_EXCEPTIONS: readonly number[] = Object.freeze([])

interface VersionState {
  /** The value model's state: a value id or ABSENT. */
  readonly value: number
  readonly least: number
  /** Only while present. */
  readonly bound: boolean
  /** Ascending, all above `least`; only while present and unbound. */
  readonly except: readonly number[]
}

export function isVersionOp(op: Pick<Operation, 'op'>): boolean {
  return op.op === 'getVersioned' || op.op === 'setIfVersion' || op.op === 'deleteIfVersion'
}

function stateName(state: VersionState): string {
  return `${state.value}/${state.least}/${state.bound ? 'b' : ''}${state.except.join(',')}`
}

/**
 * The versioned model over `base`, the value model of the same history, and what
 * its states become when their entry vanishes (for vanish.ts).
 */
export function versionedMapModel(base: Model<number, PreparedOp>): { model: Model<number, PreparedOp>; vanished: (state: number) => number } {
  const table = new Interner<VersionState>(stateName)
  const model: Model<number, PreparedOp> = {
    ...base,
    init: () => table.id({ value: base.init(), least: ABSENT_VERSION + 1, bound: false, except: NO_EXCEPTIONS }),
    key: (state) => state,
    step: (state, op, pending) => {
      const s = table.of(state)
      const result = isVersionOp(op.source) ? versionStep(s, op, pending) : valueStep(base, s, op, pending)
      return result === undefined ? { ok: false, next: state } : { ok: true, next: table.id(result) }
    },
  }
  const vanished = (state: number): number => {
    const s = table.of(state)
    return s.value === ABSENT ? state : table.id(removed(s))
  }
  return { model, vanished }
}

/** The state after `op`, or undefined when its answer is impossible in `s`. */
function versionStep(s: VersionState, op: PreparedOp, pending: boolean): VersionState | undefined {
  const present = s.value !== ABSENT
  const x = op.version
  switch (op.op) {
    case 'getVersioned':
      if (pending) return s
      if (!op.flag) return present ? undefined : s
      return present && op.answer === s.value && mayBe(s, x, op.relaxed) ? bind(s, x) : undefined
    case 'setIfVersion':
    case 'deleteIfVersion': {
      const can = present ? mayBe(s, x, op.relaxed) : op.op === 'setIfVersion' && x === ABSENT_VERSION
      const bound = present ? bind(s, x) : s
      const success = () => (op.op === 'setIfVersion' ? written(bound, op.value) : removed(bound))
      // A pending call that failed changed nothing, as one never linearized.
      if (pending) return can ? success() : s
      if (op.flag) return can ? success() : undefined
      return failed(s, x, op.relaxed, op.op === 'setIfVersion')
    }
    default:
      throw new Error(`internal: ${op.op} is not a version operation`)
  }
}

/** Whether the current record of a present key may have version `x`. */
function mayBe(s: VersionState, x: number, relaxed: boolean): boolean {
  if (s.bound) return relaxed ? x >= s.least : x === s.least
  return x >= s.least && !s.except.includes(x)
}

/** The current record has version `x` (mayBe said it can). */
function bind(s: VersionState, x: number): VersionState {
  return { value: s.value, least: x, bound: true, except: NO_EXCEPTIONS }
}

/** The least version the key's next record can have (`except` never holds `least`, see failed()). */
function nextLeast(s: VersionState): number {
  return s.value === ABSENT ? s.least : s.least + 1
}

/** A new record holding `value`. */
function written(s: VersionState, value: number): VersionState {
  return { value, least: nextLeast(s), bound: false, except: NO_EXCEPTIONS }
}

/** The key's entry is gone; its next record still takes a version above this one's. */
function removed(s: VersionState): VersionState {
  return s.value === ABSENT ? s : { value: ABSENT, least: nextLeast(s), bound: false, except: NO_EXCEPTIONS }
}

/**
 * A completed setIfVersion (`inserts`: x === ABSENT_VERSION may insert) or
 * deleteIfVersion that failed: the current version is not `x`.
 */
function failed(s: VersionState, x: number, relaxed: boolean, inserts: boolean): VersionState | undefined {
  if (s.value === ABSENT) return inserts && x === ABSENT_VERSION ? undefined : s
  if (relaxed) return s
  if (s.bound) return x === s.least ? undefined : s
  if (x < s.least || s.except.includes(x)) return s
  if (x > s.least) return { ...s, except: [...s.except, x].sort((a, b) => a - b) }
  // x is `least`: move past it and past the exceptions it reaches.
  let least = x + 1
  const except = s.except.filter((e) => (e === least ? (least++, false) : true))
  return { ...s, least, except }
}

/** Any other operation: the value model decides, and says whether a new record was written. */
function valueStep(base: Model<number, PreparedOp>, s: VersionState, op: PreparedOp, pending: boolean): VersionState | undefined {
  const { ok, next } = base.step(s.value, op, pending)
  if (!ok) return undefined
  if (writesRecord(op, s.value)) return written(s, next)
  if (next === ABSENT) return removed(s)
  return s
}
/** Whether `op`, applied to a key holding `before`, writes a new record (and so a new version). */
function writesRecord(op: PreparedOp, before: number): boolean {
  switch (op.op) {
    case 'set':
    case 'swap':
      return true
    case 'update':
      return op.update !== 'delete'
    case 'loadOrStore':
    case 'getOrCompute':
      return before === ABSENT
    case 'compareAndSwap':
      return before !== ABSENT && before === op.expected
    default:
      return false
  }
}

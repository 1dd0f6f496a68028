/**
 * The sequential specification of one key's versions: getVersioned, setIfVersion
 * and deleteIfVersion, on top of the value model (map-model.ts).
 *
 * Versions are numbers the map picks, so the model does not predict them: it binds
 * them symbolically. Its state is the value model's value id plus what the
 * operations linearized so far have proved about the versions of the key:
 *   floor  the highest version any record of the key has been seen to have (0,
 *          ABSENT_VERSION, before any), and the one the current record has when
 *          gap is 0 and the key is present: the current record is bound;
 *   gap    writes since the record that has `floor`: the current record's version
 *          is at least floor + gap, since each write's record takes a version above
 *          the one before (a version names one write, and versions rise);
 *   except versions a failed setIfVersion / deleteIfVersion proved the current,
 *          unbound record does not have (only those >= floor + gap are kept).
 * An observation of an unbound record binds it: getVersioned's answer, or the
 * expected version of a setIfVersion / deleteIfVersion that succeeded. A write
 * starts a new unbound record; a delete (or a vanish, in a cache) keeps floor and
 * gap for the key's next record. So an A → B → A history that a setIfVersion with
 * A's version accepts is refused: B's write left the record unbound with gap 1,
 * and A's version is the floor, below floor + 1.
 *
 * Killed writers: a writer that dies while replacing or removing a record leaves
 * the old record in place marked DEAD, and its version then reads as the shard's
 * last position (src/map/versions.ts): it rises with the shard's writes, never
 * below what it was, still below the key's next record. An operation that may
 * have run after a writer of its key was killed (PreparedOp.relaxed) therefore
 * sees a bound record's version as "floor or above" and may fail any expected
 * version. Everything else stays exact.
 *
 * States are interned as non-negative integers (their id is their memo key), so
 * the vanishing wrapper (vanish.ts) and the search's memo work on them unchanged.
 */
import type { Operation } from './history.js'
import { ABSENT, type PreparedOp } from './map-model.js'
import type { Model } from './model.js'

/** SharedMap's ABSENT_VERSION: setIfVersion's "only if absent". No present record has it. */
const ABSENT_VERSION = 0
const NO_EXCEPTIONS: readonly number[] = Object.freeze([])

interface VersionState {
  /** The value model's state: a value id or ABSENT. */
  readonly value: number
  readonly floor: number
  readonly gap: number
  /** Ascending. */
  readonly except: readonly number[]
}

export function isVersionOp(op: Pick<Operation, 'op'>): boolean {
  return op.op === 'getVersioned' || op.op === 'setIfVersion' || op.op === 'deleteIfVersion'
}

class StateTable {
  private readonly ids = new Map<string, number>()
  private readonly states: VersionState[] = []

  id(state: VersionState): number {
    const name = `${state.value}/${state.floor}/${state.gap}/${state.except.join(',')}`
    let id = this.ids.get(name)
    if (id === undefined) {
      id = this.states.length
      this.ids.set(name, id)
      this.states.push(state)
    }
    return id
  }

  of(id: number): VersionState {
    return this.states[id]!
  }
}

/**
 * The versioned model over `base`, the value model of the same history, and what
 * its states become when their entry vanishes (for vanish.ts).
 */
export function versionedMapModel(base: Model<number, PreparedOp>): { model: Model<number, PreparedOp>; vanished: (state: number) => number } {
  const table = new StateTable()
  const model: Model<number, PreparedOp> = {
    ...base,
    init: () => table.id({ value: base.init(), floor: ABSENT_VERSION, gap: 0, except: NO_EXCEPTIONS }),
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
  if (s.gap === 0) return relaxed ? x >= s.floor : x === s.floor
  return x >= s.floor + s.gap && !s.except.includes(x)
}

/** The current record has version `x` (mayBe said it can). */
function bind(s: VersionState, x: number): VersionState {
  return { value: s.value, floor: x, gap: 0, except: NO_EXCEPTIONS }
}

/** A new record holding `value`. */
function written(s: VersionState, value: number): VersionState {
  return { value, floor: s.floor, gap: s.gap + 1, except: NO_EXCEPTIONS }
}

/**
 * A completed setIfVersion (`inserts`: x === ABSENT_VERSION may insert) or
 * deleteIfVersion that failed: the current version is not `x`.
 */
function failed(s: VersionState, x: number, relaxed: boolean, inserts: boolean): VersionState | undefined {
  if (s.value === ABSENT) return inserts && x === ABSENT_VERSION ? undefined : s
  if (relaxed) return s
  if (s.gap === 0) return x === s.floor ? undefined : s
  if (x < s.floor + s.gap || s.except.includes(x)) return s
  return { ...s, except: [...s.except, x].sort((a, b) => a - b) }
}

/** Any other operation: the value model decides, and says whether a new record was written. */
function valueStep(base: Model<number, PreparedOp>, s: VersionState, op: PreparedOp, pending: boolean): VersionState | undefined {
  const { ok, next } = base.step(s.value, op, pending)
  if (!ok) return undefined
  if (writesRecord(op, s.value)) return written(s, next)
  if (next === ABSENT) return removed(s)
  return s
}

/** The key's entry is gone; its next record still takes a version above this one's. */
function removed(s: VersionState): VersionState {
  return { value: ABSENT, floor: s.floor, gap: s.gap, except: NO_EXCEPTIONS }
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

/**
 * The sequential specification of one key of a conmap map.
 *
 * Values are interned once, before the search: every distinct canonical encoding
 * (canonical.ts) gets a small integer id, so the model's state is just the id of
 * the stored value (or ABSENT) and each step compares integers. The state is also
 * its own memo key. `undefined` always has id 0 because it is what reads of an
 * absent key answer. Only `update` with `increment` creates values during the
 * search, and interns them as it goes.
 *
 * A key that holds undefined is present (`has` is true) yet reads like an absent
 * one; the model keeps the two states apart and lets the answers decide.
 *
 * A history with getVersioned / setIfVersion / deleteIfVersion is checked by the
 * versioned model (version-model.ts), which keeps the key's version knowledge next
 * to this model's value id and hands every other operation to it.
 */
import { canonicalEncoding } from './canonical.js'
import { Interner } from './interner.js'
import type { Key, Operation, UpdateDescriptor } from './history.js'
import type { Model, StepResult } from './model.js'
import { vanishing } from './vanish.js'
import { isVersionOp, versionedMapModel } from './version-model.js'

export const ABSENT = -1
const UNDEFINED_ID = 0

type State = number

/** An Operation with its values replaced by interned ids. */
export interface PreparedOp {
  readonly source: Operation
  readonly call: number
  readonly ret: number | undefined
  readonly op: Operation['op']
  /** The written value (set, loadOrStore, swap, getOrCompute, update set; compareAndSwap's next). */
  readonly value: number
  /** compareAndSwap's and compareAndDelete's expected value. */
  readonly expected: number
  /** update's descriptor kind. */
  readonly update: UpdateDescriptor['kind'] | undefined
  /** update increment's step. */
  readonly by: number
  /** The value in the answer (get, getOrCompute, update; loadOrStore/loadAndDelete value; swap previous). */
  readonly answer: number
  /** The boolean in the answer (has, delete, the compare and version ops; `loaded`; getVersioned: found). */
  readonly flag: boolean
  /** setIfVersion's and deleteIfVersion's expected version; the version getVersioned read. */
  readonly version: number
  /**
   * Whether the operation may have run after a writer of its key was killed
   * (version-model.ts says why that loosens what versions prove).
   */
  readonly relaxed: boolean
}

/** Values by canonical encoding; undefined first, so that it has id 0 (UNDEFINED_ID). */
type ValueTable = Interner<unknown>

function valueTable(): ValueTable {
  const table = new Interner<unknown>(canonicalEncoding)
  table.id(undefined)
  return table
}

/**
 * The model for `history` (which decides whether versions are checked: only when
 * it has version operations, so other histories keep the one-integer states).
 * With `cache`, entries may vanish at any instant (vanish.ts).
 */
export function createMapModel(cache = false, history: readonly Operation[] = []): { model: Model<State, PreparedOp>; prepare: (op: Operation) => PreparedOp } {
  const table = valueTable()
  const base = mapModel(table)
  const kills = history.some(isVersionOp) ? killTimes(history) : undefined
  const prepareOp = (op: Operation) => prepare(op, table, kills)
  if (kills === undefined) return { model: cache ? vanishing(base) : base, prepare: prepareOp }
  const { model, vanished } = versionedMapModel(base)
  return { model: cache ? vanishing(model, vanished) : model, prepare: prepareOp }
}

/** Per key, the earliest call of a write in flight when its worker died. */
function killTimes(history: readonly Operation[]): Map<Key, number> {
  const kills = new Map<Key, number>()
  for (const op of history) {
    if (op.ret !== undefined || op.op === 'get' || op.op === 'has' || op.op === 'getVersioned') continue
    kills.set(op.key, Math.min(op.call, kills.get(op.key) ?? Infinity))
  }
  return kills
}

function prepare(source: Operation, table: ValueTable, kills: ReadonlyMap<Key, number> | undefined): PreparedOp {
  const { op, args } = source
  const pending = source.ret === undefined
  const result = source.result as Record<string, unknown> | undefined
  let value = UNDEFINED_ID
  let expected = UNDEFINED_ID
  let update: UpdateDescriptor['kind'] | undefined
  let by = 0
  let answer = UNDEFINED_ID
  let flag = false
  let version = 0
  switch (op) {
    case 'set':
    case 'loadOrStore':
    case 'swap':
    case 'getOrCompute':
      value = table.id(args[0])
      break
    case 'compareAndSwap':
      expected = table.id(args[0])
      value = table.id(args[1])
      break
    case 'compareAndDelete':
      expected = table.id(args[0])
      break
    case 'update': {
      const desc = args[0] as UpdateDescriptor
      update = desc.kind
      if (desc.kind === 'increment') by = desc.by
      if (desc.kind === 'set') value = table.id(desc.value)
      break
    }
    case 'setIfVersion':
      value = table.id(args[0])
      version = args[1] as number
      break
    case 'deleteIfVersion':
      version = args[0] as number
      break
    default:
      break
  }
  if (!pending) {
    switch (op) {
      case 'get':
      case 'getOrCompute':
      case 'update':
        answer = table.id(source.result)
        break
      case 'has':
      case 'delete':
      case 'compareAndSwap':
      case 'compareAndDelete':
      case 'setIfVersion':
      case 'deleteIfVersion':
        flag = source.result as boolean
        break
      case 'getVersioned':
        flag = result !== undefined
        answer = table.id(result?.['value'])
        version = flag ? (result?.['version'] as number) : 0
        break
      case 'loadOrStore':
      case 'loadAndDelete':
        answer = table.id(result?.['value'])
        flag = result?.['loaded'] as boolean
        break
      case 'swap':
        answer = table.id(result?.['previous'])
        flag = result?.['loaded'] as boolean
        break
      default:
        break
    }
  }
  const killedAt = kills?.get(source.key) ?? Infinity
  const relaxed = source.ret === undefined || source.ret >= killedAt
  return { source, call: source.call, ret: source.ret, op, value, expected, update, by, answer, flag, version, relaxed }
}

function mapModel(table: ValueTable): Model<State, PreparedOp> {
  return {
    init: () => ABSENT,
    key: (state) => state,
    partition: (ops) => {
      const byKey = new Map<Key, PreparedOp[]>()
      for (const op of ops) {
        const part = byKey.get(op.source.key)
        if (part === undefined) byKey.set(op.source.key, [op])
        else part.push(op)
      }
      return [...byKey.values()]
    },
    step: (state, op, pending) => step(table, state, op, pending),
    selfContained: (ops, pending) => selfContained(table, ops, pending),
  }
}

function step(table: ValueTable, state: State, op: PreparedOp, pending: boolean): StepResult<State> {
  const present = state !== ABSENT
  const read = present ? state : UNDEFINED_ID
  switch (op.op) {
    case 'get':
      return outcome(pending || op.answer === read, state)
    case 'has':
      return outcome(pending || op.flag === present, state)
    case 'set':
      return outcome(true, op.value)
    case 'delete':
      return outcome(pending || op.flag === present, ABSENT)
    case 'loadOrStore':
      return present
        ? outcome(pending || (op.flag && op.answer === state), state)
        : outcome(pending || (!op.flag && op.answer === op.value), op.value)
    case 'loadAndDelete':
    case 'swap':
      return outcome(pending || (op.flag === present && op.answer === read), op.op === 'swap' ? op.value : ABSENT)
    case 'compareAndSwap':
    case 'compareAndDelete': {
      const swapped = present && state === op.expected
      const next = !swapped ? state : op.op === 'compareAndSwap' ? op.value : ABSENT
      return outcome(pending || op.flag === swapped, next)
    }
    case 'getOrCompute':
      return outcome(pending || op.answer === (present ? state : op.value), present ? state : op.value)
    case 'update':
      return applyUpdate(table, state, op, pending)
    default:
      throw new Error(`internal: ${op.op} is checked by the versioned model (version-model.ts)`)
  }
}

function applyUpdate(table: ValueTable, state: State, op: PreparedOp, pending: boolean): StepResult<State> {
  if (op.update === 'delete') return outcome(pending || op.answer === UNDEFINED_ID, ABSENT)
  if (op.update === 'set') return outcome(pending || op.answer === op.value, op.value)
  const current = state === ABSENT ? 0 : table.of(state)
  let next: unknown
  if (current === undefined || typeof current === 'number') next = (current ?? 0) + op.by
  else if (typeof current === 'bigint' && Number.isInteger(op.by)) next = current + BigInt(op.by)
  else return outcome(false, state)
  const id = table.id(next)
  return outcome(pending || op.answer === id, id)
}

/** What an operation may have stored: a value id, NONE, or ANY_NUMBER for a pending increment. */
const NONE = -1
const ANY_NUMBER = -2

function written(op: PreparedOp): number {
  const pending = op.ret === undefined
  switch (op.op) {
    case 'set':
    case 'swap':
      return op.value
    case 'loadOrStore':
      return pending || !op.flag ? op.value : NONE
    case 'compareAndSwap':
    case 'setIfVersion':
      return pending || op.flag ? op.value : NONE
    case 'getOrCompute':
      return pending || op.answer === op.value ? op.value : NONE
    case 'update':
      if (op.update === 'set') return op.value
      if (op.update === 'delete') return NONE
      return pending ? ANY_NUMBER : op.answer
    default:
      return NONE
  }
}

/** What a completed operation saw that another one must have stored: a value id, NONE, or PRESENT. */
const PRESENT = -3

function observed(table: ValueTable, op: PreparedOp): number {
  if (op.ret === undefined) return NONE
  switch (op.op) {
    case 'set':
      return NONE
    case 'get':
      return op.answer === UNDEFINED_ID ? NONE : op.answer
    case 'getVersioned':
      return !op.flag ? NONE : op.answer === UNDEFINED_ID ? PRESENT : op.answer
    case 'has':
    case 'delete':
    case 'deleteIfVersion':
      return op.flag ? PRESENT : NONE
    case 'setIfVersion':
      return op.flag && op.version !== 0 ? PRESENT : NONE
    case 'loadOrStore':
    case 'loadAndDelete':
    case 'swap':
      return op.flag ? op.answer : NONE
    case 'compareAndSwap':
    case 'compareAndDelete':
      return op.flag ? op.expected : NONE
    case 'getOrCompute':
      return op.answer === op.value ? NONE : op.answer
    case 'update': {
      if (op.update !== 'increment') return NONE
      const after = table.of(op.answer)
      const before =
        typeof after === 'number' ? after - op.by : typeof after === 'bigint' && Number.isInteger(op.by) ? after - BigInt(op.by) : undefined
      return before === undefined ? PRESENT : before === 0 || before === 0n ? NONE : table.id(before)
    }
  }
}

/**
 * "Every observed value is stored by some other operation in the list." Order is
 * ignored on purpose: the search judges order; this only rules out values from nowhere.
 */
function selfContained(table: ValueTable, ops: readonly PreparedOp[], pending: (op: PreparedOp) => boolean): boolean {
  const writers = new Map<number, number>()
  let writes = 0
  for (const op of ops) {
    const value = written(op)
    if (value === NONE) continue
    writes++
    writers.set(value, (writers.get(value) ?? 0) + 1)
  }
  const wildcards = writers.get(ANY_NUMBER) ?? 0
  return ops.every((op) => {
    const need = pending(op) ? NONE : observed(table, op)
    if (need === NONE) return true
    const own = written(op)
    if (need === PRESENT) return writes - (own === NONE ? 0 : 1) > 0
    if ((writers.get(need) ?? 0) - (own === need ? 1 : 0) > 0) return true
    const value = table.of(need)
    return (typeof value === 'number' || typeof value === 'bigint') && wildcards - (own === ANY_NUMBER ? 1 : 0) > 0
  })
}

function outcome(ok: boolean, next: State): StepResult<State> {
  return { ok, next }
}

/**
 * Lost acknowledged writes: does the final state of each recorded key keep what
 * the workers were told was written?
 *
 * A key's final value must be the effect of some operation that may have been the
 * last to change it. Completed operations that changed the key (a set, a successful
 * compareAndSwap, a delete that found the key, …) are ordered by real time: one that
 * returned before another changing operation was invoked cannot be the last. Every
 * pending operation (in flight at a kill) may have taken effect last, or never.
 * So the candidates are the completed changes that nothing completed provably
 * followed, plus every pending change, plus "absent" when no completed operation
 * changed the key at all. A final state matching none of them lost an acknowledged
 * write (or holds a value nobody wrote). Sound: it never blames a correct map; the
 * linearizability check with final reads (--check) is the complete version.
 *
 * In a cache storm every entry may have vanished (expired or been evicted), so an
 * absent key is never a loss. A present one still needs a candidate, and one more
 * thing of it: no operation invoked after the candidate returned found the key
 * absent, since the value it wrote had vanished by then and would have reappeared.
 */
import { canonicalEncoding, type Key, type Operation, type UpdateDescriptor } from '../check/index.js'

/** How an operation may have changed its key. */
export const NONE = 0
export const VALUE = 1
export const ABSENT = 2
/** A pending increment: some number. */
const NUMBER = 3

export interface LostWrite {
  readonly key: Key
  /** The final value; undefined when the key is absent. */
  readonly final: unknown
  readonly present: boolean
  /** The operations that may have been last, any of which the final state should show. */
  readonly candidates: readonly Operation[]
}

/**
 * `finals` holds the final value of each present key; `keys` lists every key whose
 * history is complete in `ops`.
 */
export function findLostWrites(ops: readonly Operation[], keys: readonly Key[], finals: ReadonlyMap<Key, unknown>, cache = false): LostWrite[] {
  const byKey = new Map<Key, Operation[]>(keys.map((key) => [key, []]))
  for (const op of ops) byKey.get(op.key)?.push(op)
  const lost: LostWrite[] = []
  for (const [key, history] of byKey) {
    const present = finals.has(key)
    if (cache && !present) continue
    const final = finals.get(key)
    const lastAbsent = cache ? history.reduce((last, op) => (foundAbsent(op) ? Math.max(last, op.call) : last), -Infinity) : -Infinity
    // The two latest invocations among completed changes: a change is provably
    // followed when another completed change was invoked after it returned.
    let latest = -Infinity
    let second = -Infinity
    for (const op of history) {
      if (op.ret === undefined || changeOf(op) === NONE) continue
      if (op.call > latest) {
        second = latest
        latest = op.call
      } else if (op.call > second) second = op.call
    }
    const mayBeLast = (op: Operation) => op.ret === undefined || ((op.call === latest ? second : latest) <= op.ret && lastAbsent <= op.ret)
    // No completed change at all: the key may still be as it started, absent.
    if (!present && latest === -Infinity) continue
    const explained = history.some((op) => {
      const change = changeOf(op)
      return change !== NONE && mayBeLast(op) && matches(op, change, present, final)
    })
    if (!explained) lost.push({ key, final, present, candidates: history.filter((op) => changeOf(op) !== NONE && mayBeLast(op)) })
  }
  return lost
}

export function changeOf(op: Operation): number {
  const pending = op.ret === undefined
  const result = op.result
  switch (op.op) {
    case 'get':
    case 'has':
    case 'getVersioned':
      return NONE
    case 'set':
    case 'swap':
      return VALUE
    case 'loadOrStore':
      return pending || !(result as { loaded: boolean }).loaded ? VALUE : NONE
    case 'getOrCompute':
      return pending || same(result, op.args[0]) ? VALUE : NONE
    case 'compareAndSwap':
    case 'setIfVersion':
      return pending || result === true ? VALUE : NONE
    case 'compareAndDelete':
    case 'delete':
    case 'deleteIfVersion':
      return pending || result === true ? ABSENT : NONE
    case 'loadAndDelete':
      return pending || (result as { loaded: boolean }).loaded ? ABSENT : NONE
    case 'update': {
      const kind = (op.args[0] as UpdateDescriptor).kind
      return kind === 'delete' ? ABSENT : kind === 'increment' && pending ? NUMBER : VALUE
    }
  }
}

/** Whether a completed operation's answer says that its key was absent. */
export function foundAbsent(op: Operation): boolean {
  if (op.ret === undefined) return false
  const result = op.result
  switch (op.op) {
    case 'get':
    case 'getVersioned':
      return result === undefined
    case 'setIfVersion':
      return result === true && op.args[1] === 0
    case 'has':
    case 'delete':
      return result === false
    case 'loadOrStore':
    case 'loadAndDelete':
    case 'swap':
      return !(result as { loaded: boolean }).loaded
    case 'getOrCompute':
      return same(result, op.args[0])
    default:
      return false
  }
}

/** The value a VALUE change stored. */
function stored(op: Operation): unknown {
  switch (op.op) {
    case 'compareAndSwap':
      return op.args[1]
    case 'update': {
      const desc = op.args[0] as UpdateDescriptor
      return desc.kind === 'set' ? desc.value : op.result
    }
    default:
      return op.args[0]
  }
}

function matches(op: Operation, change: number, present: boolean, final: unknown): boolean {
  if (change === ABSENT) return !present
  if (!present) return false
  if (change === NUMBER) return typeof final === 'number' || typeof final === 'bigint'
  return same(final, stored(op))
}

function same(x: unknown, y: unknown): boolean {
  return x === y || canonicalEncoding(x) === canonicalEncoding(y)
}

/**
 * The map model of a cache: any entry may vanish (expire or be evicted) at any
 * instant after it was written, and once gone it stays gone until a write stores
 * it again.
 *
 * A vanish is an internal step: nothing records it, and it may fall anywhere in the
 * linearization. Rather than search over where each vanish falls (one more pending
 * operation per write would multiply the configurations the search explores), the
 * model is determinized, as an automaton with silent steps is: its state is the set
 * of the key's possible states after the operations linearized so far, closed under
 * vanishing, so it always includes ABSENT. An operation moves every member it is
 * possible in and drops the others; it is possible when some member admits it.
 * Given an order of the recorded operations, that set is exactly what some
 * placement of vanishes can reach, so the search stays sound and complete.
 *
 * What this still refuses: a read of a value no write stored (no member holds it),
 * and a value read again after it vanished (an answer that needed ABSENT, such as a
 * get of undefined, leaves ABSENT alone in the set; only a write puts a value back).
 *
 * States are numbers, as the plain model's: ABSENT for {ABSENT}, a value id v >= 0
 * for {v, ABSENT}, and ids from -2 down for larger sets, interned as they appear (a
 * pending increment, for one, may leave both n + 1 and 1 possible).
 */
import type { Model, StepResult, Timed } from './model.js'

const ABSENT = -1

export function vanishing<Op extends Timed>(base: Model<number, Op>): Model<number, Op> {
  const sets: (readonly number[])[] = []
  const ids = new Map<string, number>()
  const members = (state: number): readonly number[] => (state === ABSENT ? [] : state >= 0 ? [state] : sets[-2 - state]!)
  const encode = (present: number[]): number => {
    if (present.length === 0) return ABSENT
    if (present.length === 1) return present[0]!
    present.sort((a, b) => a - b)
    const name = present.join(',')
    let id = ids.get(name)
    if (id === undefined) {
      id = -2 - sets.length
      sets.push(present)
      ids.set(name, id)
    }
    return id
  }
  const step = (state: number, op: Op, pending: boolean): StepResult<number> => {
    let ok = false
    const next: number[] = []
    for (const from of [ABSENT, ...members(state)]) {
      const result = base.step(from, op, pending)
      if (!result.ok) continue
      ok = true
      if (result.next !== ABSENT && !next.includes(result.next)) next.push(result.next)
    }
    return { ok, next: ok ? encode(next) : state }
  }
  return { ...base, init: () => ABSENT, key: (state) => state, step }
}

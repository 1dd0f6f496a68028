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
 *
 * `vanished` says what a member turns into when its entry vanishes: ABSENT for the
 * plain model; the versioned model (version-model.ts) keeps the key's version
 * knowledge through a vanish, as it does through a delete. A set is stored without
 * the members that are another member's vanished form, since those come back when
 * it is read: {v, ABSENT} is stored as v.
 */
import type { Model, StepResult, Timed } from './model.js'

const ABSENT = -1

export function vanishing<Op extends Timed>(base: Model<number, Op>, vanished: (state: number) => number = () => ABSENT): Model<number, Op> {
  const sets: (readonly number[])[] = []
  const ids = new Map<string, number>()
  const stored = (state: number): readonly number[] => (state > -2 ? [state] : sets[-2 - state]!)
  /** The set a state stands for: its stored members and their vanished forms. */
  const members = (state: number): number[] => {
    const all = [...stored(state)]
    for (const member of stored(state)) {
      const gone = vanished(member)
      if (!all.includes(gone)) all.push(gone)
    }
    return all
  }
  const encode = (all: readonly number[]): number => {
    const kept = all.filter((member) => !all.some((other) => other !== member && vanished(other) === member))
    if (kept.length === 1) return kept[0]!
    kept.sort((a, b) => a - b)
    const name = kept.join(',')
    let id = ids.get(name)
    if (id === undefined) {
      id = -2 - sets.length
      sets.push(kept)
      ids.set(name, id)
    }
    return id
  }
  const step = (state: number, op: Op, pending: boolean): StepResult<number> => {
    let ok = false
    const next: number[] = []
    for (const from of members(state)) {
      const result = base.step(from, op, pending)
      if (!result.ok) continue
      ok = true
      for (const reached of [result.next, vanished(result.next)]) if (!next.includes(reached)) next.push(reached)
    }
    return { ok, next: ok ? encode(next) : state }
  }
  return { ...base, init: () => encode([base.init()]), key: (state) => state, step }
}

/**
 * Explains a non-linearizable history: where it first goes wrong, and a small
 * counter-example about that.
 *
 * Plain delta debugging (drop operations while the rest stays non-linearizable) is
 * misleading here, because linearizability is not closed under taking subsets:
 * dropping a write can make a correct read unexplainable, so the "smallest failing
 * subset" of a history with one stale read may be two correct operations from
 * elsewhere that only fail once everything around them is gone. So:
 *
 * 1. Find the culprit, soundly. A prefix of a linearizable history is linearizable
 *    (search.ts, `cut`: operations still in flight at the cut become pending), so a
 *    search over return times finds the first instant `failsAt` after which the
 *    history cannot be linearized any more; the operation returning then is the
 *    culprit, and the operations invoked by then are the window. The failed check
 *    already proved every cut before `reached` linearizable and the culprit is
 *    usually at or just after it, so the search gallops up from there and bisects
 *    the last step: a few prefix searches rather than log2(n) of them.
 * 2. Delta-debug the window, always keeping the culprit, and keeping only
 *    candidates that
 *    - are not linearizable when cut at `failsAt`,
 *    - are linearizable when cut at the previous return time, where the culprit is
 *      pending: the culprit's answer must be what breaks them (the whole window
 *      satisfies both, by the choice of `failsAt`),
 *    - are self-contained when the model can tell and the window is (model.ts):
 *      otherwise the shrinker could drop the write a read saw and report a read of
 *      a value that "nobody wrote". Answers of operations still in flight at
 *      `failsAt` are left out of that test, as the cut leaves them out of the
 *      search: a read in flight that saw a write invoked after `failsAt` would
 *      otherwise make the whole window "not self-contained" and free the shrinker
 *      to drop every write (a storm test caught one-read counter-examples so).
 *    Chunks halve down to single operations, and single-operation passes repeat
 *    until one removes nothing, so the result is 1-minimal under these rules.
 * 3. Slide each kept operation to the latest one in the window that can take its
 *    place, then shrink once more. Delta debugging favours early operations (they
 *    set up the state that everything later depends on), but the story a reader
 *    wants is the one just before the culprit: the last write it should have seen,
 *    not the first write of that value an hour earlier.
 *
 * A counter-example lists the recorded operations; those still in flight at
 * `failsAt` were checked as pending, and their real answers only add constraints,
 * so it is not linearizable as printed either.
 *
 * Every search honours the deadline; running out returns the smallest failing
 * history found so far.
 */
import type { Model, Timed } from './model.js'
import { searchPartition } from './search.js'

export interface Violation<Op> {
  readonly operations: Op[]
  /** Absent when the deadline passed before the culprit was found. */
  readonly culprit?: Op
}

/**
 * `history` must be known not linearizable, `reached` come from its failed search;
 * with `shrink` false, only locates the culprit.
 */
export function explainViolation<State, Op extends Timed>(
  model: Model<State, Op>,
  history: readonly Op[],
  deadline: number,
  shrink: boolean,
  reached: number,
): Violation<Op> {
  const violates = (ops: readonly Op[], cut: number) => searchPartition(model, ops, deadline, cut).outcome === 'violation'
  const passes = (ops: readonly Op[], cut: number) => searchPartition(model, ops, deadline, cut).outcome === 'linearizable'

  const returns = [...new Set(history.flatMap((op) => (op.ret === undefined ? [] : [op.ret])))].sort((a, b) => a - b)
  // Invariant: the cut at returns[low - 1] is linearizable, the one at returns[high] is not.
  let low = Math.max(0, returns.findIndex((ret) => ret >= reached))
  let high = returns.length - 1
  for (let step = 1; low < high; step *= 2) {
    const probe = Math.min(low + step - 1, high)
    if (violates(history, returns[probe]!)) {
      high = probe
      break
    }
    low = probe + 1
  }
  while (low < high) {
    const mid = (low + high) >>> 1
    if (violates(history, returns[mid]!)) high = mid
    else low = mid + 1
  }
  // A search cut short by the deadline reads as "no violation", so the bisection is void.
  if (performance.now() > deadline) return { operations: [...history] }
  const failsAt = returns[low]!
  const before = low > 0 ? returns[low - 1]! : -Infinity
  const culprit = history.find((op) => op.ret === failsAt)!
  if (!shrink) return { operations: [...history], culprit }
  const others = history.filter((op) => op !== culprit && op.call <= failsAt).sort((a, b) => a.call - b.call)
  const inFlight = (op: Op) => op.ret === undefined || op.ret > failsAt
  const contained = model.selfContained !== undefined && model.selfContained([...others, culprit], inFlight)
  const keeps = (rest: readonly Op[]) => {
    const candidate = [...rest, culprit]
    return (!contained || model.selfContained!(candidate, inFlight)) && violates(candidate, failsAt) && passes(candidate, before)
  }
  const recent = preferRecent(deltaDebug(others, keeps, deadline), others, keeps, deadline)
  return { operations: [...deltaDebug(recent, keeps, deadline), culprit], culprit }
}

/** Greedy delta debugging of `items` under `keeps`, which must hold for `items` itself. */
function deltaDebug<T>(items: readonly T[], keeps: (candidate: readonly T[]) => boolean, deadline: number): T[] {
  let current = [...items]
  let size = 1
  while (size * 2 < current.length) size *= 2
  for (;;) {
    let removed = false
    for (let start = 0; start < current.length; ) {
      if (performance.now() > deadline) return current
      const candidate = current.slice(0, start).concat(current.slice(start + size))
      if (keeps(candidate)) {
        current = candidate
        removed = true
      } else {
        start += size
      }
    }
    if (size > 1) size >>>= 1
    else if (!removed) return current
  }
}

/** Step 3: replaces kept operations by later ones from `pool` while `keeps` still holds. */
function preferRecent<Op extends Timed>(
  kept: readonly Op[],
  pool: readonly Op[],
  keeps: (candidate: readonly Op[]) => boolean,
  deadline: number,
): Op[] {
  const latestFirst = [...pool].sort((a, b) => b.call - a.call)
  let current = [...kept]
  // Terminates: every move strictly increases one operation's call time.
  for (let moved = true; moved && performance.now() <= deadline; ) {
    moved = false
    for (let i = 0; i < current.length; i++) {
      const op = current[i]!
      const base = current
      const later = latestFirst.find((other) => other.call > op.call && !base.includes(other) && keeps(base.with(i, other)))
      if (later !== undefined) {
        current = base.with(i, later)
        moved = true
      }
    }
  }
  return current
}

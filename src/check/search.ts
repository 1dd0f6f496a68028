/**
 * Decides one partition: the Wing & Gong search with Lowe's memoization, as in
 * Porcupine.
 *
 * Every operation contributes a call event and, when completed, a return event;
 * the events form a doubly linked list in time order. The search walks the list
 * from its head. At a call event it tries to linearize that operation next: if the
 * model accepts it and the resulting (linearized set, state) configuration is new,
 * the operation is "lifted" (its call and return events are unlinked, so the list
 * holds only what is still to be linearized), pushed on a stack, and the walk
 * restarts from the head. Reaching a return event means that operation's deadline
 * passed with it still unlinearized: the last choice is undone (the events are
 * relinked in O(1), dancing-links style) and the walk resumes after it. An empty
 * stack at that point means no order works.
 *
 * Ties: at equal timestamps call events sort before return events, so an operation
 * invoked at the very instant another returned counts as overlapping it. With clocks
 * of finite resolution, the other order would reject histories whose operations
 * only look sequential because their timestamps collided.
 *
 * Pending operations have no return event (their response is at +infinity), so
 * nothing ever forces them in: the search succeeds once every completed operation
 * is linearized, and the pending ones not linearized by then are dropped. That is
 * exactly "each pending operation took effect somewhere after its call, or never".
 *
 * `cut` checks a prefix of the history, as if it had been recorded only until that
 * instant: operations invoked later are left out and those still in flight become
 * pending. A prefix of a linearizable history is linearizable, which the shrinker
 * uses to find where a history first goes wrong.
 */
import type { Model, Timed } from './model.js'
import { ConfigurationMemo, LinearizedSet } from './linearized-set.js'

export interface SearchResult {
  readonly outcome: 'linearizable' | 'violation' | 'timeout'
  /**
   * The latest return event the search had to backtrack at: every completed
   * operation returning earlier was linearized in some configuration, so the history
   * cut just before this instant is linearizable. -Infinity when it never backtracked.
   */
  readonly reached: number
}

/** How many search steps run between two looks at the clock. */
const CLOCK_STRIDE = 0x1000

export function searchPartition<State, Op extends Timed>(
  model: Model<State, Op>,
  history: readonly Op[],
  deadline: number,
  cut = Infinity,
): SearchResult {
  const isCompleted = (op: Op) => op.ret !== undefined && op.ret <= cut
  const byCall = (a: Op, b: Op) => a.call - b.call
  // Completed operations in call order, then pending ones (see linearized-set.ts).
  const completed = history.filter(isCompleted).sort(byCall)
  const pending = history.filter((op) => !isCompleted(op) && op.call <= cut).sort(byCall)
  const ops = completed.concat(pending)
  const completedCount = completed.length
  const list = new EventList(ops, completedCount)
  const set = new LinearizedSet(completedCount, ops.length)
  const memo = new ConfigurationMemo()
  const stackNodes: number[] = []
  const stackStates: State[] = []
  let state = model.init()
  let remaining = completedCount
  let node = list.first()
  let steps = 0
  let reached = -Infinity

  while (remaining > 0) {
    if (++steps % CLOCK_STRIDE === 0 && performance.now() > deadline) return { outcome: 'timeout', reached }
    if (list.isCall(node)) {
      const index = list.opOf(node)
      const { ok, next } = model.step(state, ops[index]!, index >= completedCount)
      if (ok) {
        set.add(index)
        if (memo.insert(model.key(next), set)) {
          stackNodes.push(node)
          stackStates.push(state)
          state = next
          list.lift(node)
          if (index < completedCount) remaining--
          node = list.first()
          continue
        }
        set.remove(index)
      }
      node = list.next(node)
    } else {
      reached = Math.max(reached, list.timeOf(node))
      const top = stackNodes.pop()
      if (top === undefined) return { outcome: 'violation', reached }
      state = stackStates.pop()!
      const index = list.opOf(top)
      set.remove(index)
      list.unlift(top)
      if (index < completedCount) remaining++
      node = list.next(top)
    }
  }
  return { outcome: 'linearizable', reached }
}

const PENDING = -1
const RETURN = -2

/**
 * The events as a linked list over typed arrays. Node 0 is the head sentinel and
 * the last node a tail sentinel; the nodes in between are the events in time order.
 * Operations 0..completed-1 have a return event, the others are pending.
 */
class EventList {
  private readonly nextOf: Int32Array
  private readonly prevOf: Int32Array
  private readonly op: Int32Array
  private readonly time: Float64Array
  /** For a call node, its return node (or -1 when pending); -2 marks return nodes. */
  private readonly match: Int32Array

  constructor(ops: readonly Timed[], completed: number) {
    const events: { time: number; isCall: boolean; op: number }[] = []
    ops.forEach((o, i) => {
      events.push({ time: o.call, isCall: true, op: i })
      if (i < completed) events.push({ time: o.ret!, isCall: false, op: i })
    })
    events.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op)
    const size = events.length + 2
    this.nextOf = new Int32Array(size)
    this.prevOf = new Int32Array(size)
    this.op = new Int32Array(size).fill(-1)
    this.time = new Float64Array(size)
    this.match = new Int32Array(size).fill(RETURN)
    const callNode = new Int32Array(ops.length)
    events.forEach((e, i) => {
      const node = i + 1
      this.op[node] = e.op
      this.time[node] = e.time
      if (e.isCall) {
        callNode[e.op] = node
        this.match[node] = PENDING
      } else {
        this.match[callNode[e.op]!] = node
      }
    })
    for (let node = 0; node < size; node++) {
      this.nextOf[node] = node + 1
      this.prevOf[node] = node - 1
    }
  }

  first(): number {
    return this.nextOf[0]!
  }

  next(node: number): number {
    return this.nextOf[node]!
  }

  isCall(node: number): boolean {
    return this.match[node] !== RETURN
  }

  opOf(node: number): number {
    return this.op[node]!
  }

  timeOf(node: number): number {
    return this.time[node]!
  }

  lift(call: number): void {
    this.unlink(call)
    const ret = this.match[call]!
    if (ret !== PENDING) this.unlink(ret)
  }

  /** Undoes `lift`: relinks in the reverse order of unlinking. */
  unlift(call: number): void {
    const ret = this.match[call]!
    if (ret !== PENDING) this.relink(ret)
    this.relink(call)
  }

  private unlink(node: number): void {
    this.nextOf[this.prevOf[node]!] = this.nextOf[node]!
    this.prevOf[this.nextOf[node]!] = this.prevOf[node]!
  }

  private relink(node: number): void {
    this.nextOf[this.prevOf[node]!] = node
    this.prevOf[this.nextOf[node]!] = node
  }
}

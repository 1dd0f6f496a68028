/**
 * The generic side of the checker: any sequential specification can be checked,
 * not only conmap's map. A model says how one operation moves a state and whether
 * the operation's recorded answer is possible there. Models must be deterministic
 * (one next state per state and operation) and must not mutate states, because
 * the search keeps old states to backtrack to.
 *
 * `partition` is P-compositionality (Horn & Kroening): when a history is
 * linearizable if and only if each part is, the parts are checked one by one,
 * which turns one exponential search into many small ones. A map is the classic
 * case: operations on different keys never constrain each other.
 */

/** Real-time bounds of an operation; `ret === undefined` marks it pending. */
export interface Timed {
  readonly call: number
  readonly ret?: number | undefined
}

export interface StepResult<State> {
  /** Whether the operation's recorded answer is possible in the given state. */
  readonly ok: boolean
  /** The state after the operation; read only when `ok`. */
  readonly next: State
}

export interface Model<State, Op extends Timed> {
  init(): State
  /**
   * Applies `op` to `state`. When `pending` is true the operation's answer is
   * unknown (it has no `ret`, or the shrinker cut the history while it was in
   * flight): accept it in every state where its input is valid.
   */
  step(state: State, op: Op, pending: boolean): StepResult<State>
  /** Identity of a state for memoization: equal states give equal keys, distinct states distinct keys. */
  key(state: State): string | number
  /** Splits a history into independently checkable parts; default: one part. */
  partition?(ops: readonly Op[]): readonly (readonly Op[])[]
  /**
   * Whether every answer in `ops` could come from the operations in `ops`,
   * ignoring order (a read of 1 needs some write of 1 among them). Optional: it
   * lets the shrinker refuse counter-examples that only fail because it dropped
   * the write a read saw (see minimize.ts). An operation for which `pending` is
   * true is checked without its answer (the shrinker's cut falls while it is in
   * flight), so that answer needs no writer, though its input may be one.
   */
  selfContained?(ops: readonly Op[], pending: (op: Op) => boolean): boolean
}

export interface CheckOptions {
  /**
   * Budget for the whole check, shrinking included. When it runs out before a
   * verdict, `linearizable` is null; when it runs out while shrinking, the
   * counter-example found so far is reported. Default: no limit.
   */
  readonly timeoutMs?: number
  /**
   * Shrink a failing partition to a minimal counter-example (default true); when
   * false, the whole partition is reported, with its culprit still located.
   */
  readonly minimize?: boolean
}

export interface CheckOperationsResult<Op> {
  /** null when the budget ran out before a verdict. */
  readonly linearizable: boolean | null
  /** Operations in the partitions that were decided. */
  readonly operationsChecked: number
  /** Partitions that were decided. */
  readonly partitionsChecked: number
  /** The first failing partition, explained (see minimize.ts). */
  readonly failure?: {
    /** The counter-example, in call order. */
    readonly operations: Op[]
    /**
     * The operation whose response first made the partition non-linearizable;
     * absent when the budget ran out before it was located.
     */
    readonly culprit?: Op
  }
}

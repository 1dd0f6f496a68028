/**
 * conmap/check: a linearizability checker for recorded concurrent histories.
 *
 * `checkHistory` decides whether a history of map operations (as recorded by
 * `conmap storm`, or by your own harness) could have come from some sequential
 * execution that respects real time: every operation taking effect at one instant
 * between its call and its return. It checks each key on its own, searches with
 * the Wing & Gong / Lowe algorithm (as in Porcupine), and on failure names the
 * culprit (the operation whose response first made the history impossible) and
 * shrinks the failing key's history to a minimal counter-example around it, which
 * `formatHistory` prints. `checkOperations` runs the same machinery against any
 * user-supplied `Model`.
 */
export { checkHistory } from './check-history.js'
export { checkOperations } from './check-operations.js'
export { formatHistory } from './format.js'
export { canonicalEncoding } from './canonical.js'
export { MAP_OPS, type HistoryCheckOptions, type HistoryCheckResult, type Key, type MapOp, type Operation, type UpdateDescriptor } from './history.js'
export type { CheckOperationsResult, CheckOptions, Model, StepResult, Timed } from './model.js'

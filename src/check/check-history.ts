/**
 * `checkHistory`: the map-specific front end of `checkOperations`. It validates the
 * recorded operations, interns their values for the map model, partitions by key
 * (operations on different keys of a map never constrain each other, so the history
 * is linearizable exactly when every key's sub-history is), and translates the
 * verdict back to the caller's Operation records. With `cache`, entries may vanish
 * (vanish.ts).
 */
import { checkOperations } from './check-operations.js'
import type { HistoryCheckOptions, HistoryCheckResult, Operation } from './history.js'
import { createMapModel, type PreparedOp } from './map-model.js'
import { invalid, validateOperation } from './validate.js'

export function checkHistory(ops: readonly Operation[], options: HistoryCheckOptions = {}): HistoryCheckResult {
  if (!Array.isArray(ops)) throw invalid('ops must be an array of operations')
  const cache = typeof options === 'object' && options !== null ? options.cache : undefined
  if (cache !== undefined && typeof cache !== 'boolean') throw invalid(`cache must be a boolean, got ${String(cache)}`)
  ops.forEach(validateOperation)
  const { model, prepare } = createMapModel(cache, ops)
  const prepared = ops.map((op, index): PreparedOp => {
    try {
      return prepare(op)
    } catch (err) {
      throw invalid(`operation ${index} (${op.op}): ${(err as Error).message}`)
    }
  })
  const result = checkOperations(model, prepared, options)
  const base = {
    linearizable: result.linearizable,
    operationsChecked: result.operationsChecked,
    keysChecked: result.partitionsChecked,
  }
  const failure = result.failure
  const first = failure?.operations[0]
  if (failure === undefined || first === undefined) return base
  const operations = failure.operations.map((op) => op.source)
  const key = first.source.key
  return { ...base, failure: failure.culprit === undefined ? { key, operations } : { key, operations, culprit: failure.culprit.source } }
}

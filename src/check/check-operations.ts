/**
 * The generic entry point: validate, split the history with the model's
 * partition, search each part under one shared deadline, and explain the first
 * failing part (minimize.ts). Parts are searched in the order `partition` returns
 * them and the check stops at the first violation, so a failing history costs no
 * more than the parts up to the failing one.
 */
import type { CheckOperationsResult, CheckOptions, Model, Timed } from './model.js'
import { explainViolation } from './minimize.js'
import { searchPartition } from './search.js'
import { invalid, validateTimed } from './validate.js'

export function checkOperations<State, Op extends Timed>(
  model: Model<State, Op>,
  ops: readonly Op[],
  options: CheckOptions = {},
): CheckOperationsResult<Op> {
  validateModel(model)
  if (!Array.isArray(ops)) throw invalid('ops must be an array of operations')
  ops.forEach(validateTimed)
  const { deadline, minimize } = readOptions(options)
  const parts = model.partition === undefined ? [ops] : model.partition(ops)
  let operationsChecked = 0
  let partitionsChecked = 0
  for (const part of parts) {
    if (part.length === 0) continue
    if (performance.now() > deadline) return { linearizable: null, operationsChecked, partitionsChecked }
    const { outcome, reached } = searchPartition(model, part, deadline)
    if (outcome === 'timeout') return { linearizable: null, operationsChecked, partitionsChecked }
    operationsChecked += part.length
    partitionsChecked++
    if (outcome === 'violation') {
      const { operations, culprit } = explainViolation(model, part, deadline, minimize, reached)
      operations.sort((a, b) => a.call - b.call)
      const failure = culprit === undefined ? { operations } : { operations, culprit }
      return { linearizable: false, operationsChecked, partitionsChecked, failure }
    }
  }
  return { linearizable: true, operationsChecked, partitionsChecked }
}

function readOptions(options: CheckOptions): { deadline: number; minimize: boolean } {
  if (typeof options !== 'object' || options === null) throw invalid('options must be an object')
  const { timeoutMs, minimize } = options
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0)) {
    throw invalid(`timeoutMs must be a non-negative number, got ${String(timeoutMs)}`)
  }
  if (minimize !== undefined && typeof minimize !== 'boolean') throw invalid(`minimize must be a boolean, got ${String(minimize)}`)
  return { deadline: performance.now() + (timeoutMs ?? Infinity), minimize: minimize ?? true }
}

function validateModel(model: unknown): void {
  if (typeof model !== 'object' || model === null) throw invalid('model must be an object with init, step and key')
  const methods = model as Record<string, unknown>
  for (const name of ['init', 'step', 'key']) {
    if (typeof methods[name] !== 'function') throw invalid(`model.${name} must be a function`)
  }
  for (const name of ['partition', 'selfContained']) {
    if (methods[name] !== undefined && typeof methods[name] !== 'function') throw invalid(`model.${name} must be a function`)
  }
}

/**
 * Input checks. A malformed record is a recorder bug, and checking it anyway would
 * turn that bug into a false verdict, so every shape the search and the map model
 * rely on is verified up front, with the operation's index in the message.
 */
import { conmapError, ErrorCode, type ConmapError } from '../errors/index.js'
import { MAP_OPS, type MapOp, type Operation } from './history.js'
import type { Timed } from './model.js'

const ARITY: Readonly<Record<MapOp, number>> = {
  get: 0,
  has: 0,
  set: 1,
  delete: 0,
  loadOrStore: 1,
  loadAndDelete: 0,
  swap: 1,
  compareAndSwap: 2,
  compareAndDelete: 1,
  getOrCompute: 1,
  update: 1,
  getVersioned: 0,
  setIfVersion: 2,
  deleteIfVersion: 1,
}

const knownOps: ReadonlySet<string> = new Set(MAP_OPS)

export function validateTimed(op: Timed, index: number): void {
  if (typeof op !== 'object' || op === null) throw invalid(`operation ${index} must be an object`)
  if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
    throw invalid(`operation ${index}: call must be a finite number, got ${String(op.call)}`)
  }
  if (op.ret !== undefined && (typeof op.ret !== 'number' || !Number.isFinite(op.ret) || op.ret < op.call)) {
    throw invalid(`operation ${index}: ret must be undefined (pending) or a finite number >= call, got ${String(op.ret)}`)
  }
}

export function invalid(message: string): ConmapError {
  return conmapError(ErrorCode.INVALID_ARGUMENT, message)
}

export function validateOperation(op: Operation, index: number): void {
  validateTimed(op, index)
  const where = `operation ${index} (${String(op.op)})`
  if (typeof op.thread !== 'number' || !Number.isFinite(op.thread)) throw invalid(`${where}: thread must be a finite number`)
  if (typeof op.key !== 'string' && typeof op.key !== 'number' && typeof op.key !== 'bigint') {
    throw invalid(`${where}: key must be a string, number or bigint`)
  }
  if (typeof op.op !== 'string' || !knownOps.has(op.op)) throw invalid(`${where}: unknown op, expected one of ${MAP_OPS.join(', ')}`)
  if (!Array.isArray(op.args) || op.args.length !== ARITY[op.op]) {
    throw invalid(`${where}: args must be an array of ${ARITY[op.op]} argument(s) after the key`)
  }
  if (op.op === 'update') validateDescriptor(op.args[0], where)
  if (op.op === 'setIfVersion' || op.op === 'deleteIfVersion') validateVersion(op.args[op.args.length - 1], `${where}: the expected version`)
  if (op.ret !== undefined) validateResult(op, where)
}

function validateDescriptor(desc: unknown, where: string): void {
  const d = desc as { kind?: unknown; by?: unknown } | null
  const ok =
    typeof d === 'object' &&
    d !== null &&
    ((d.kind === 'increment' && typeof d.by === 'number' && Number.isFinite(d.by)) ||
      (d.kind === 'set' && 'value' in d) ||
      d.kind === 'delete')
  if (!ok) throw invalid(`${where}: args[0] must be { kind: 'increment', by: number } | { kind: 'set', value } | { kind: 'delete' }`)
}

function validateResult(op: Operation, where: string): void {
  const result = op.result
  switch (op.op) {
    case 'has':
    case 'delete':
    case 'compareAndSwap':
    case 'compareAndDelete':
    case 'setIfVersion':
    case 'deleteIfVersion':
      if (typeof result !== 'boolean') throw invalid(`${where}: result must be a boolean`)
      return
    case 'loadOrStore':
    case 'loadAndDelete':
      if (!hasLoadedFlag(result)) throw invalid(`${where}: result must be { value, loaded: boolean }`)
      return
    case 'swap':
      if (!hasLoadedFlag(result)) throw invalid(`${where}: result must be { previous, loaded: boolean }`)
      return
    case 'getVersioned':
      if (result === undefined) return
      if (typeof result !== 'object' || result === null || !('value' in result)) throw invalid(`${where}: result must be undefined or { value, version }`)
      validateVersion((result as { version?: unknown }).version, `${where}: result.version`)
      return
    default:
      return
  }
}

/** A version as SharedMap takes and returns them: a non-negative safe integer. */
function validateVersion(version: unknown, where: string): void {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0) {
    throw invalid(`${where} must be a non-negative safe integer, got ${String(version)}`)
  }
}

function hasLoadedFlag(result: unknown): boolean {
  return typeof result === 'object' && result !== null && typeof (result as { loaded?: unknown }).loaded === 'boolean'
}

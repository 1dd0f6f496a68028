/**
 * Errors across threads. The structured clone that postMessage applies keeps an
 * Error's message and stack but drops its class and own properties, so a worker's
 * ERR_LOCK_TIMEOUT arrives as a bare Error. Its stack still starts with
 * "LockError [ERR_LOCK_TIMEOUT]: …" (errors.ts), so the code is visible wherever it
 * is logged, and `reviveError(err)` rebuilds the ConmapError from that (a pool's
 * failed task: `catch (err) { throw reviveError(err) }`). `serializeError` turns
 * any error, its code and cause included, into a plain, cloneable record that
 * `reviveError` rebuilds the same way (other errors come back as Error with their
 * name kept).
 *
 *   worker:  parentPort.postMessage({ error: serializeError(err) })
 *   parent:  worker.on('message', m => { throw reviveError(m.error) })
 */
import { isErrorCode } from './codes.js'
import { ConmapError, conmapError } from './errors.js'

export interface SerializedError {
  readonly conmapSerializedError: 1
  readonly name: string
  readonly message: string
  readonly stack?: string
  readonly code?: string
  readonly cause?: SerializedError | { readonly value: unknown }
}

const MAX_CAUSE_DEPTH = 8

export function serializeError(err: unknown, depth = 0): SerializedError {
  if (!(err instanceof Error)) {
    return { conmapSerializedError: 1, name: 'Error', message: String(err) }
  }
  const code = (err as { code?: unknown }).code
  const cause = err.cause
  let serializedCause: SerializedError['cause']
  if (cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    serializedCause = cause instanceof Error ? serializeError(cause, depth + 1) : { value: safeClone(cause) }
  }
  return {
    conmapSerializedError: 1,
    name: err.name,
    message: err.message,
    ...(err.stack === undefined ? {} : { stack: err.stack }),
    ...(typeof code === 'string' ? { code } : {}),
    ...(serializedCause === undefined ? {} : { cause: serializedCause }),
  }
}

export function isSerializedError(value: unknown): value is SerializedError {
  return typeof value === 'object' && value !== null && (value as SerializedError).conmapSerializedError === 1
}

/** The class and code at the head of a ConmapError's stack (errors.ts). */
const STACK_HEAD = /^\w+ \[(ERR_[A-Z_]+)\]: /

/**
 * The error a serialized record describes, or, given an Error, the ConmapError it
 * was before a structured clone (recognised by its stack's first line); any other
 * Error is returned as it is.
 */
export function reviveError(record: SerializedError | Error): Error {
  if (record instanceof Error) return reviveClone(record)
  const cause = record.cause === undefined ? undefined : isSerializedError(record.cause) ? reviveError(record.cause) : record.cause.value
  let err: Error
  if (isErrorCode(record.code)) {
    err = conmapError(record.code, record.message, cause)
  } else {
    err = cause === undefined ? new Error(record.message) : new Error(record.message, { cause })
    if (record.name !== 'Error') Object.defineProperty(err, 'name', { value: record.name, configurable: true })
    if (record.code !== undefined) Object.defineProperty(err, 'code', { value: record.code, enumerable: true, configurable: true })
  }
  if (record.stack !== undefined) Object.defineProperty(err, 'stack', { value: record.stack, configurable: true, writable: true })
  return err
}

function reviveClone(err: Error): Error {
  if (err instanceof ConmapError) return err
  const code = STACK_HEAD.exec(err.stack ?? '')?.[1]
  if (!isErrorCode(code)) return err
  const revived = conmapError(code, err.message, err.cause)
  Object.defineProperty(revived, 'stack', { value: err.stack, configurable: true, writable: true })
  return revived
}

function safeClone(value: unknown): unknown {
  try {
    return structuredClone(value)
  } catch {
    return String(value)
  }
}


/**
 * Promises and other thenables are not values: a map shared between threads cannot hold
 * what a value will become, only what it is. The map refuses them before any codec sees
 * them (Values.encode), and so does the structured codec inside a value.
 */
import { conmapError, ErrorCode, type ConmapError } from '../errors/index.js'
import { describeValue } from './preview.js'

/** An object (or function) with a callable `then`. A `then` getter that throws is taken as no. */
export function isThenable(value: unknown): boolean {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return false
  try {
    return typeof (value as { then?: unknown }).then === 'function'
  } catch {
    return false
  }
}

export function thenableRefused(value: unknown, where = ''): ConmapError {
  return conmapError(
    ErrorCode.INVALID_VALUE,
    `cannot store ${describeValue(value)}${where}: it is a Promise or thenable, not a value; ` +
      'await it first, or use getOrComputeAsync(key, async () => …) to compute a value once across threads',
  )
}

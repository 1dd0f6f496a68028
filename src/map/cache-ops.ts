/**
 * The cache maps' own operations behind SharedMap's touch(), sweep() and
 * getOrComputeAsync(): their argument checks and the one change touch() makes.
 * They exist only on maps made with cache records (ttl or maxEntries: layout.ts
 * header word 19), which keep a deadline and queue links with every record.
 */
import type { Key } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { MapCore } from './core.js'
import { deadlineAfter, entryTtl } from './expiry.js'
import { sweep } from './sweep.js'
import { computeAsync, type AsyncFactory, type ComputeAsyncOptions, type Lookup } from './compute-async.js'
import { change, putLocked, valueInLocked } from './write.js'
import type { SweepOptions } from './types.js'

export function requireCache(core: MapCore, what: string): void {
  if (!core.cacheRecords) throw conmapError(ErrorCode.INVALID_ARGUMENT, `${what}() needs a cache map: create the map with ttl (Infinity for no default) or maxEntries`)
}

/** touch(): key's entry written anew with a deadline ttl ms from now; true if key was present. */
export function touch(core: MapCore, key: Key, ttl: number | undefined): boolean {
  requireCache(core, 'touch')
  const lifetime = entryTtl(ttl === undefined ? undefined : { ttl }, core.ttl, true)
  let touched = false
  change(
    core,
    key,
    (fields, slot, kind, hash) => {
      touched = slot >= 0
      if (touched) putLocked(core, fields, slot, key, kind, hash, valueInLocked(core, slot), deadlineAfter(lifetime))
    },
    true,
  )
  return touched
}

/** sweep(): at most options.budget expired entries removed now; how many. */
export function sweepNow(core: MapCore, options: SweepOptions): number {
  requireCache(core, 'sweep')
  const budget = options.budget ?? Infinity
  if (typeof budget !== 'number' || !(budget >= 0) || (budget !== Infinity && !Number.isInteger(budget))) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `budget must be a non-negative integer or Infinity, got ${String(options.budget)}`)
  }
  return sweep(core, budget)
}

/** getOrComputeAsync(): its arguments checked, then one computation per absent key (compute-async.ts). */
export function computeAsyncChecked(
  core: MapCore,
  key: Key,
  read: Lookup,
  factory: AsyncFactory<Key, unknown>,
  options: ComputeAsyncOptions,
): Promise<unknown> {
  requireCache(core, 'getOrComputeAsync')
  if (typeof factory !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, 'getOrComputeAsync needs a factory function')
  if (typeof options !== 'object' || options === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'options must be an object')
  const ttl = entryTtl({ ttl: options.ttl }, core.ttl, true)
  const { signal, timeout } = options
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'signal must be an AbortSignal')
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > 2 ** 31 - 1)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `timeout must be a positive number of ms below 2^31, got ${String(timeout)}`)
  }
  return computeAsync(core, key, read, factory, ttl, timeout, signal)
}

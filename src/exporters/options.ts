/** What both adapters check of their options and map before they register anything. */
import { conmapError, ErrorCode } from '../errors/index.js'
import type { Key } from '../codec/index.js'
import type { HotKey, MapMetrics } from '../metrics/types.js'

/** What the adapters read: a SharedMap made with `metrics: true`. */
export interface MeasuredMap {
  metrics(): MapMetrics
  hotKeys(n: number): HotKey<Key>[]
  readonly concurrency?: string
}

/** The map's name and hot keys to export; throws ERR_INVALID_ARGUMENT for bad ones or a map without metrics. */
export function adapterOptions(map: MeasuredMap, options: { readonly name?: unknown; readonly hotKeys?: unknown }, nameIs: string): { name: string; hotKeys: number } {
  const { name } = options
  if (typeof name !== 'string' || name === '') throw conmapError(ErrorCode.INVALID_ARGUMENT, `registerMetrics needs a non-empty name (${nameIs})`)
  // A scrape runs whenever it likes: under 'none' a read beside a worker's write would
  // be a misuse (and poison the map), so hot keys, which read the map, are off there.
  const hotKeys = options.hotKeys ?? (map.concurrency === 'none' ? 0 : 10)
  if (typeof hotKeys !== 'number' || !Number.isInteger(hotKeys) || hotKeys < 0) throw conmapError(ErrorCode.INVALID_ARGUMENT, `hotKeys must be a non-negative integer, got ${String(hotKeys)}`)
  map.metrics()
  return { name, hotKeys }
}

export { SharedMap } from './shared-map.js'
export type {
  SharedMapOptions,
  AttachOptions,
  SharedMapHandle,
  SharedMapStats,
  ShardStats,
  LoadResult,
  SwapResult,
} from './types.js'
export type { Concurrency } from './layout.js'

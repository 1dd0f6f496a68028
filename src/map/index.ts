export {
  SharedMap,
  type SharedMapOptions,
  type AttachOptions,
  type SharedMapHandle,
  type SharedMapStats,
  type ShardStats,
  type LoadResult,
  type SwapResult,
} from './shared-map.js'
export type { Concurrency } from './layout.js'

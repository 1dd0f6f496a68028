export { SharedMap } from './shared-map.js'
export type {
  SharedMapOptions,
  EntryOptions,
  AttachOptions,
  SharedMapHandle,
  SharedMapStats,
  ShardStats,
  LoadResult,
  SwapResult,
} from './types.js'
export type { Concurrency, EvictionPolicy } from './layout.js'
export type { AsyncFactory, ComputeAsyncOptions, ComputeContext } from './compute-async.js'

export { SharedMap, type SharedMapConstructor } from './constructor.js'
export type { SharedMap as SharedMapClass } from './shared-map.js'
export type {
  SharedMapOptions,
  EntryOptions,
  AttachOptions,
  SharedMapHandle,
  CodecFor,
  TypedCodecs,
  LoadOrStoreResult,
  SweepOptions,
  SharedMapStats,
  ShardStats,
  LoadResult,
  SwapResult,
  Versioned,
} from './types.js'
export type { Concurrency, EvictionPolicy } from './layout.js'
export { ABSENT_VERSION } from './versions.js'
export type { AsyncFactory, ComputeAsyncOptions, ComputeContext } from './compute-async.js'

export type { AsyncConcurrentMap } from './types.js'
export type { SharedMapAsync } from './shared-async.js'

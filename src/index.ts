/**
 * conmap: concurrency-safe maps for JavaScript runtimes. The map and every
 * primitive live in shared memory: create them in one thread, send `.handle` to
 * workers, and `X.attach(handle)` there (or `share({ ... })` several objects and
 * `attachShared()` them).
 */
export * from './errors/index.js'
export * from './sync/index.js'
export { Kind, type Attachable, type Handle } from './shared/handle.js'
export * from './map/index.js'
export * from './async/index.js'
export * from './guard/index.js'
export type { BuiltInCodecName, Codec, CodecOption, Key } from './codec/index.js'
export {
  share,
  attachShared,
  type Shared,
  type Attached,
  type AttachedOf,
  type AttachSharedOptions,
  type HandleOf,
  type Shareable,
  type ShareableHandle,
} from './pool/share.js'
export * from './async-map/index.js'
export * from './metrics/index.js'

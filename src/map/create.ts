/**
 * Making a new map: option validation and defaults, and the arena's initial layout
 * (header, shard descriptors and first tables, as layout.ts describes them).
 * SharedMap's constructor calls create() for a new map; attach() uses shardsBase,
 * builtInCodec and stringHash to check a handle against the same rules.
 */
import { codecId, randomHashSeed, resolveCodec, type Codec, type CodecOption } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, magicOf } from '../shared/handle.js'
import { initRWLock } from '../sync/rw-lock.js'
import { ThreadRegistry } from '../sync/threads.js'
import { Arena } from './arena.js'
import { CACHE_RECORDS, Eviction, H, LAYOUT_VERSION, MIN_CAP, S, SLOT_BYTES, Strategy, align8, lockWordsOf, maxShardCap, shardWords } from './layout.js'
import { ttlOption } from './expiry.js'
import type { SharedMapHandle, SharedMapOptions } from './types.js'
import { initRegion, metricsOption, regionBytes } from '../metrics/layout.js'

const DEFAULT_MAX_BYTES = 2 ** 30
const MAX_MAX_BYTES = 2 ** 32 - 2 ** 16
const DEFAULT_READER_SLOTS = 64
/** SharedMapOptions.lockTimeout's default: far past any critical section, short of a hung request. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000

/** A lockTimeout option in ms: a non-negative number or Infinity; absent = the default. */
export function lockTimeoutOption(value: unknown): number {
  if (value === undefined) return DEFAULT_LOCK_TIMEOUT_MS
  if (typeof value !== 'number' || !(value >= 0)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `lockTimeout must be a non-negative number of ms or Infinity, got ${String(value)}`)
  }
  return value
}

export function shardsBase(globalLockWords: number): number {
  return align8((H.GLOBAL_LOCK + globalLockWords) * 4) / 4
}

export function builtInCodec(id: string): CodecOption | undefined {
  const name = id.startsWith('builtin:') ? id.slice('builtin:'.length) : undefined
  return name === 'structured' || name === 'json' || name === 'string' || name === 'number' || name === 'bytes' ? name : undefined
}

export function stringHash(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash | 0
}

/**
 * Default shards: 64 on every machine (a map made on a laptop behaves the same on a
 * 64-core server), fewer in a small map: halved while the shards' descriptors and
 * smallest tables would take more than an eighth of maxBytes. With 64, two writers
 * of random keys are in one shard one time in 64; the descriptors and first tables
 * take about 36 KiB ('optimistic', initialCapacity 1024).
 */
const DEFAULT_SHARDS = 64

function defaultShards(maxBytes: number, descriptorWords: number, base: number): number {
  let shards = DEFAULT_SHARDS
  while (shards > 1 && align8((base + shards * descriptorWords) * 4) + shards * MIN_CAP * SLOT_BYTES > maxBytes / 8) shards /= 2
  return shards
}

/**
 * Default initialCapacity: 1024, less in a small map, so that the first tables take
 * at most a quarter of maxBytes (the rest is for records and growth).
 */
const DEFAULT_INITIAL_CAPACITY = 1024

export function create(options: SharedMapOptions): { handle: SharedMapHandle; codec: Codec<unknown>; arena: Arena; lockTimeout: number } {
  if (typeof options !== 'object' || options === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'options must be an object')
  const concurrency = options.concurrency ?? 'optimistic'
  const strategy = Object.hasOwn(Strategy, concurrency) ? Strategy[concurrency] : undefined
  if (strategy === undefined) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `concurrency must be one of ${Object.keys(Strategy).join(', ')}, got ${String(concurrency)}`)
  }
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  if (!Number.isInteger(maxBytes) || maxBytes < 4096 || maxBytes > MAX_MAX_BYTES) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `maxBytes must be an integer from 4096 to ${MAX_MAX_BYTES}, got ${String(maxBytes)}`)
  }
  const readerSlots = options.readerSlots ?? DEFAULT_READER_SLOTS
  if (!Number.isInteger(readerSlots) || readerSlots < 1 || readerSlots > 65536) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `readerSlots must be an integer from 1 to 65536, got ${String(readerSlots)}`)
  }
  const locks = lockWordsOf(strategy, readerSlots)
  const words = shardWords(locks.shard)
  const base = shardsBase(locks.global)
  const shards = options.shards ?? defaultShards(maxBytes, words, base)
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024 || (shards & (shards - 1)) !== 0) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `shards must be a power of two from 1 to 1024, got ${String(shards)}`)
  }
  const initialCapacity = options.initialCapacity ?? DEFAULT_INITIAL_CAPACITY
  if (!Number.isInteger(initialCapacity) || initialCapacity < 0) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `initialCapacity must be a non-negative integer, got ${String(initialCapacity)}`)
  }
  const cache = cacheOptions(options)
  const lockTimeout = lockTimeoutOption(options.lockTimeout)
  const id = codecId(options.codec)
  const codec = resolveCodec(options.codec)
  const shardBits = Math.log2(shards)
  const metrics = metricsOption(options.metrics)
  const region = align8((base + shards * words) * 4)
  const heapStart = metrics === undefined ? region : align8(region + regionBytes(metrics))
  let perShard = Math.min(maxShardCap(shardBits), Math.max(MIN_CAP, 2 ** Math.ceil(Math.log2(Math.ceil(initialCapacity / shards / 0.75) || 1))))
  if (options.initialCapacity === undefined) while (perShard > MIN_CAP && shards * perShard * SLOT_BYTES > maxBytes / 4) perShard /= 2
  // Room for the tables plus ~48 bytes of record per initial entry, before any growth
  // (kept a multiple of 8 and within maxBytes, which need not be one).
  const initialBytes = Math.min(maxBytes - (maxBytes % 8), heapStart + shards * perShard * SLOT_BYTES + initialCapacity * 48 + 65536)
  if (heapStart + shards * perShard * SLOT_BYTES > maxBytes) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `maxBytes ${maxBytes} cannot hold the map's ${shards} shards and initial tables: raise maxBytes or lower shards/initialCapacity`)
  }
  const buffer = new SharedArrayBuffer(align8(initialBytes), { maxByteLength: maxBytes })
  const registry = ThreadRegistry.local()
  const i32 = new Int32Array(buffer)
  const u32 = new Uint32Array(buffer)
  const [seed0, seed1] = randomHashSeed()
  i32[H.MAGIC] = magicOf(Kind.SharedMap)
  i32[H.LAYOUT] = LAYOUT_VERSION
  i32[H.STRATEGY] = strategy
  i32[H.SHARD_BITS] = shardBits
  i32[H.SEED0] = seed0
  i32[H.SEED1] = seed1
  i32[H.CODEC] = stringHash(id)
  i32[H.READER_SLOTS] = readerSlots
  i32[H.MAP_ID0] = (Math.random() * 2 ** 32) | 0
  i32[H.MAP_ID1] = (Math.random() * 2 ** 32) | 0
  i32[H.SHARD_WORDS] = words
  i32[H.CACHE] = cache.flags
  u32[H.MAX_ENTRIES] = cache.maxEntries
  u32[H.TTL_HI] = Math.floor(cache.ttl / 2 ** 32)
  u32[H.TTL_LO] = cache.ttl >>> 0
  if (strategy === Strategy.rwmutex) initRWLock(i32, H.GLOBAL_LOCK, readerSlots)
  if (metrics !== undefined) {
    initRegion(i32, region, metrics)
    i32[H.METRICS] = region
  }
  let top = heapStart
  for (let shard = 0; shard < shards; shard++) {
    const shardBase = base + shard * words
    if (strategy === Strategy.sharded) initRWLock(i32, shardBase, readerSlots)
    const fields = shardBase + locks.shard
    u32[fields + S.TABLE] = top
    u32[fields + S.CAP] = perShard
    top += perShard * SLOT_BYTES
  }
  u32[H.TOP] = top
  const handle: SharedMapHandle = { conmap: Kind.SharedMap, version: 1, buffer, byteOffset: 0, registry: registry.buffer, concurrency, codec: id }
  return { handle, codec, arena: new Arena(buffer, registry, concurrency === 'optimistic'), lockTimeout }
}

const MAX_ENTRIES = 2 ** 31

/** Header word 19 and the bound and default ttl of a map made with the cache options. */
function cacheOptions(options: SharedMapOptions): { flags: number; maxEntries: number; ttl: number } {
  const ttl = options.ttl === undefined ? 0 : ttlOption(options.ttl, 'ttl')
  const { maxEntries, eviction } = options
  if (maxEntries !== undefined && (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_ENTRIES)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `maxEntries must be an integer from 1 to ${MAX_ENTRIES}, got ${String(maxEntries)}`)
  }
  if (eviction !== undefined && !Object.hasOwn(Eviction, eviction)) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `eviction must be one of ${Object.keys(Eviction).join(', ')}, got ${String(eviction)}`)
  }
  if (eviction !== undefined && maxEntries === undefined) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, 'eviction needs a bound: pass maxEntries too')
  }
  if (options.ttl === undefined && maxEntries === undefined) return { flags: 0, maxEntries: 0, ttl: 0 }
  const policy = maxEntries === undefined ? 0 : Eviction[eviction ?? 'fifo']
  return { flags: CACHE_RECORDS | (policy << 1), maxEntries: maxEntries ?? 0, ttl }
}

/** Checking a handle from another thread before a SharedMap is made over it. */
import { codecId, resolveCodec } from '../codec/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { Kind, openHandle } from '../shared/handle.js'
import { ThreadRegistry } from '../sync/threads.js'
import { Arena } from './arena.js'
import { H, LAYOUT_VERSION, Strategy, lockWordsOf, shardWords } from './layout.js'
import { builtInCodec, lockTimeoutOption, shardsBase, stringHash } from './create.js'
import type { Opened } from './core.js'
import type { AttachOptions, SharedMapHandle } from './types.js'

/**
 * The map behind source (a handle, a SharedMap, or a SharedMap's structured clone,
 * which keeps `handle`), refused (ERR_INVALID_HANDLE) when its memory is not such a map.
 */
export function openAttached(source: unknown, options: AttachOptions): Opened {
  if (typeof options !== 'object' || options === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, 'attach options must be an object')
  const { i32, registry, handle: checked } = openHandle(Kind.SharedMap, source, H.GLOBAL_LOCK)
  const handle = checked as SharedMapHandle
  const invalid = (why: string) => conmapError(ErrorCode.INVALID_HANDLE, `not a usable SharedMap handle: ${why}`)
  if (i32.byteOffset !== 0 || !handle.buffer.growable) throw invalid('the buffer is not a map arena')
  if (i32[H.LAYOUT] !== LAYOUT_VERSION) throw invalid(`layout version ${String(i32[H.LAYOUT])} is not ${LAYOUT_VERSION}`)
  const strategy = Strategy[handle.concurrency]
  if (strategy === undefined || i32[H.STRATEGY] !== strategy) throw invalid('its concurrency does not match the map')
  const bits = i32[H.SHARD_BITS] ?? -1
  const slots = i32[H.READER_SLOTS] ?? -1
  if (bits < 0 || bits > 10 || slots < 1 || slots > 65536) throw invalid('its shard layout is corrupt')
  const locks = lockWordsOf(strategy, slots)
  if (i32[H.SHARD_WORDS] !== shardWords(locks.shard)) throw invalid('its shard layout is corrupt')
  if ((shardsBase(locks.global) + 2 ** bits * shardWords(locks.shard)) * 4 > handle.buffer.byteLength) throw invalid('the buffer is truncated')
  const option = options.codec ?? builtInCodec(handle.codec)
  if (option === undefined) throw conmapError(ErrorCode.INVALID_ARGUMENT, `the map uses the user codec '${handle.codec}': pass it again as attach(handle, { codec })`)
  if (typeof handle.codec !== 'string' || i32[H.CODEC] !== stringHash(handle.codec)) throw invalid('its codec does not match the map')
  const id = codecId(option)
  if (id !== handle.codec) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `codec mismatch: the map stores values with '${handle.codec}', not '${id}'`)
  }
  const lockTimeout = lockTimeoutOption(options.lockTimeout)
  const arena = new Arena(handle.buffer, ThreadRegistry.of(registry), handle.concurrency === 'optimistic')
  return { handle, arena, codec: resolveCodec(option), readCache: options.readCache, sweeper: options.sweeper, lockTimeout }
}

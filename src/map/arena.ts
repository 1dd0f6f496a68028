/**
 * The arena: the map's one growable SharedArrayBuffer and its allocator.
 *
 * Fresh memory comes from a bump pointer (header word TOP) advanced by CAS, so
 * threads allocating in different shards never wait for each other. When the
 * buffer is too small it grows (doubling, up to maxBytes) under the grow lock;
 * SharedArrayBuffer growth is seen by every thread's length-tracking views with no
 * re-attach. A request past maxBytes is ERR_MAP_FULL, raised before anything is
 * written.
 *
 * Views: typed arrays that track a growable buffer's length are several times
 * slower per access in V8, so each thread keeps fixed-length views and replaces
 * them when the buffer has grown. Growth always happens before the bump pointer
 * passes the old end, so `sync()` — one atomic load of TOP compared with the views'
 * length — tells whether every allocated block is inside them. Callers sync after
 * taking a lock and on every optimistic read attempt; a reader that races a growth
 * sees an out-of-range offset only inside a read that its validation rejects.
 *
 * Freed blocks go to the free lists of the shard that freed them, by size class
 * (layout.ts), and are taken from there under that shard's lock: by the shard
 * itself, or, when the arena is full, by a writer of another shard that holds its
 * own lock and gets that one with tryLock (alloc.ts: never waiting for a second
 * lock, so no deadlock). Optimistic readers stay safe when a block moves to another
 * shard: it was freed inside a change of its shard, so a reader of that shard that
 * could still reach it began before that change and fails its validation (a store
 * of the new shard's writer that the reader reads comes after the freeing change's
 * opening increment: the block passed through the old shard's lock), and read
 * caches validate by generations that are unique to the map (layout.ts), not to
 * the shard. A free block's first word links to the next one; push and pop are
 * single stores made under the shard lock, so a writer that dies between them
 * leaks a block at worst and never corrupts a list.
 *
 * The last RESERVE bytes below maxBytes are for overwrites only: a full map still
 * replaces a value (up to that size) even when no block is free anywhere, since
 * the new record must be written before the old one is freed. The block an
 * overwrite frees then serves the next one.
 *
 * Racy memory ('optimistic' maps, `racy`): optimistic readers read published blocks
 * with no lock, so every store into memory that a reader may be reading (a slot, a
 * shard field, a free-list link, any word of a reused block) goes through
 * Atomics.store (`store`, words.ts). Fresh memory from the bump pointer was never
 * reachable, is still zero (SharedArrayBuffer memory starts zeroed and TOP only
 * grows), and is written with plain stores before the Atomics store that publishes
 * it. `reused` tells a writer which case its last allocation was.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import { LockWord } from '../sync/lock-word.js'
import type { ThreadRegistry } from '../sync/threads.js'
import { runBlocking } from '../sync/wait.js'
import { failpoint } from './failpoints.js'
import { CLASS_COUNT, H, S, classBytes, classOf } from './layout.js'
import { viewsOf, type Views } from './words.js'

export class Arena {
  readonly buffer: SharedArrayBuffer
  i32: Int32Array
  u32: Uint32Array
  u8: Uint8Array
  /** The same memory as u8 / u16 / u32 views, for keys and values. */
  views: Views
  /** Bytes the views cover. */
  length: number
  /** Whether lock-free readers may read published blocks while writers change them. */
  readonly racy: boolean
  /** Whether the last allocLocked() / takeLocked() block came from a free list (see the overview). */
  reused = false
  /** The size class of that block: it may be larger than asked for (takeLocked). */
  blockClass = 0
  /** Bytes below maxBytes that only overwrites may take (see the overview). */
  readonly reserve: number
  readonly #growLock: LockWord

  constructor(buffer: SharedArrayBuffer, registry: ThreadRegistry, racy: boolean) {
    this.buffer = buffer
    this.racy = racy
    this.length = buffer.byteLength
    this.i32 = new Int32Array(buffer, 0, this.length >>> 2)
    this.u32 = new Uint32Array(buffer, 0, this.length >>> 2)
    this.u8 = new Uint8Array(buffer, 0, this.length)
    this.views = viewsOf(buffer, this.length)
    this.reserve = reserveOf(buffer.maxByteLength)
    // The grow lock lives in the header, inside every view the arena will ever have.
    this.#growLock = new LockWord(this.i32, H.GROW_LOCK, registry)
  }

  /** Makes the views cover every block allocated so far. */
  sync(): void {
    if (Atomics.load(this.u32, H.TOP) > this.length) this.#refresh()
  }

  #refresh(): void {
    const length = this.buffer.byteLength
    if (length === this.length) return
    this.length = length
    this.i32 = new Int32Array(this.buffer, 0, length >>> 2)
    this.u32 = new Uint32Array(this.buffer, 0, length >>> 2)
    this.u8 = new Uint8Array(this.buffer, 0, length)
    this.views = viewsOf(this.buffer, length)
  }

  get top(): number {
    return Atomics.load(this.u32, H.TOP)
  }

  /** Stores a word that lock-free readers may be reading (Atomics.store when racy). */
  store(index: number, value: number): void {
    if (this.racy) Atomics.store(this.u32, index, value)
    else this.u32[index] = value
  }

  /**
   * The offset of a block of at least `bytes` for the shard whose fields start at
   * word `fields`, from its free list or fresh memory (`overwrite`: the reserve
   * too). Call with the shard's write lock held.
   */
  allocLocked(fields: number, bytes: number, overwrite = false): number {
    const block = this.tryAllocLocked(fields, bytes, overwrite)
    if (block === 0) throw this.full(bytes)
    return block
  }

  /**
   * allocLocked() answering 0 where it would throw: a full arena is the common case
   * of a full map's writes, and an Error's stack costs microseconds.
   */
  tryAllocLocked(fields: number, bytes: number, overwrite = false): number {
    const cls = classOf(bytes)
    if (cls >= CLASS_COUNT) return 0
    const block = this.takeLocked(fields, cls)
    if (block !== 0) return block
    const fresh = this.#bump(classBytes(cls), overwrite ? this.buffer.maxByteLength : this.buffer.maxByteLength - this.reserve)
    if (fresh === 0) return 0
    if (fresh + classBytes(cls) > this.length) this.#refresh()
    this.reused = false
    this.blockClass = cls
    return fresh
  }

  /** The ERR_MAP_FULL of an allocation of bytes that found no room. */
  full(bytes: number): Error {
    return conmapError(ErrorCode.MAP_FULL, `the map is full: ${bytes} more bytes would pass maxBytes (${this.buffer.maxByteLength})`)
  }

  /**
   * A block of class cls from the free list of the shard at `fields`, or 0. Call with
   * that shard's write lock held (which may be another shard's than the caller's).
   */
  takeLocked(fields: number, cls: number): number {
    const head = fields + S.FREE + cls
    const block = this.u32[head] ?? 0
    if (block === 0) return 0
    this.u32[head] = this.u32[block >>> 2] ?? 0
    this.reused = true
    this.blockClass = cls
    failpoint('alloc:reused')
    return block
  }

  /** Returns a block of `bytes` to its shard's free list. Call with the shard's write lock held. */
  freeLocked(fields: number, offset: number, bytes: number): void {
    this.freeClassLocked(fields, offset, classOf(bytes))
  }

  /** Returns a block of class cls to its shard's free list, under the shard's write lock. */
  freeClassLocked(fields: number, offset: number, cls: number): void {
    const head = fields + S.FREE + cls
    // The link overwrites the block's first word, which a reader may still be reading.
    this.store(offset >>> 2, this.u32[head] ?? 0)
    failpoint('free:linked')
    this.u32[head] = offset
  }

  /** Bytes on a shard's free lists (walks them: for stats and checks). */
  freeBytes(fields: number, limit: number): number {
    let total = 0
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      let block = (this.u32[fields + S.FREE + cls] ?? 0)
      for (let n = 0; block !== 0 && n < limit; n++) {
        total += classBytes(cls)
        block = this.u32[block >>> 2] ?? 0
      }
    }
    return total
  }

  /** Fresh memory below limit, or 0 (the header is at 0: never a block). */
  #bump(bytes: number, limit: number): number {
    for (;;) {
      const top = Atomics.load(this.u32, H.TOP)
      const end = top + bytes
      if (end > limit) return 0
      if (end > this.buffer.byteLength) this.#grow(end)
      if (Atomics.compareExchange(this.u32, H.TOP, top, end) === top) return top
    }
  }

  #grow(needed: number): void {
    const max = this.buffer.maxByteLength
    runBlocking(this.#growLock.acquireSteps(Infinity, true))
    try {
      const length = this.buffer.byteLength
      if (length < needed) this.buffer.grow(Math.min(max, Math.max(needed, length * 2)))
    } finally {
      this.#growLock.release()
    }
  }
}

/**
 * The overwrite reserve of a map of max bytes: 1/64 of it, at most 64 KiB (so 4 KiB
 * of a 256 KiB map, 64 KiB of the default 1 GiB), 8-byte aligned.
 */
function reserveOf(max: number): number {
  return Math.min(64 * 1024, Math.floor(max / 64 / 8) * 8)
}

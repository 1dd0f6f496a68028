/**
 * Reading a key: the optimistic seqlock read, and the locked read of the other
 * strategies.
 *
 * 'optimistic': writers lock their shard and keep its seq odd while they change it;
 * readers take no lock and write nothing. A reader loads the seq (s1), syncs its
 * views, looks the key up, copies the value's words, and accepts them only if the
 * seq is still s1 and even. Freed blocks are reused only by their own shard, so
 * anything a reader might see reused moved that shard's seq. Values are decoded from
 * the private copy, after validation.
 *
 * Why the seqlock is correct under the ECMAScript memory model (not only on x86):
 * the model orders only SeqCst events, through synchronizes-with (an Atomics read
 * that reads an Atomics write) and, for SeqCst events on the same location, one
 * total order. A plain read that races with a write may return that write even if
 * it comes after the reader's closing seq load, and a plain store may be seen before
 * the seq increment before it (ARM64 does both). So:
 *   1. Every word a reader uses between s1 and s2 (table, cap, slots, record header,
 *      key and value words) is read with Atomics.load into a private copy
 *      (words.ts), and the reader decides on the copy.
 *   2. Every store into memory a reader may be reading (slots, shard fields,
 *      free-list links, every word of a reused block) is an Atomics.store made
 *      between the writer's two seq increments (Arena.store); only fresh memory,
 *      never yet reachable, is written plainly, before the Atomics store that
 *      publishes it.
 *   Then, if s1 = s2 = e (even): s1 reads the increment that ended the last change
 *   before it, so that change and everything before it happen-before the reader's
 *   loads, which therefore see at least that state (coherence). Suppose one load L
 *   saw a later write X. X is an Atomics store (2.), so X synchronizes-with L, and the
 *   increment that opened X's change happens-before X, hence before s2: s2 (SeqCst,
 *   same word) cannot read a value older than that increment, so s2 != e; a
 *   contradiction. So every load saw exactly the state at e: a state of the map,
 *   whose offsets all lie inside the views synced after s1 (blocks are allocated
 *   only below TOP, which growth passes first). Reading the seq after syncing would
 *   lose that: the state at s1 could name blocks past the views, read as absent.
 *   Plain reads of fresh memory are race-free: it is reached only through an offset
 *   whose Atomics store happens-after its contents were written.
 *   The cost: Atomics.load/store are calls in V8 (~10-15 ns on x86-64 against ~1 ns
 *   for a plain access), paid per 32-bit word read by optimistic readers and per word
 *   written into reused blocks; the lock strategies keep plain accesses under
 *   their locks, which order them.
 *   Wraparound: the seq is a 32-bit word, so a reader that stalls between s1 and s2
 *   while exactly a multiple of 2^31 changes hit its shard would accept a torn read.
 *   At the ~5.75M changes per second one shard takes here that is a stall of ~374 s
 *   inside a read of a few hundred nanoseconds; like Linux's seqcount, this is
 *   accepted and stated rather than defended against.
 */
import { keyKind, type Key } from '../codec/index.js'
import { DEAD, GEN_MASK, R_GEN, REF, S, metaOf } from './layout.js'
import type { MapCore } from './core.js'
import { ValueTag, type Raw } from './values.js'
import { failpoint } from './failpoints.js'
import { deadlineLocked, deadlineRacy, isExpired } from './expiry.js'

export const ABSENT: unique symbol = Symbol('absent')
export const TORN: unique symbol = Symbol('torn')

/**
 * A private copy of key's value (raw), or ABSENT (also when it has expired).
 * withValue=false skips the copy (has()). An optimistic read leaves in core.found
 * the state it validated against. A get of a 'sieve' map sets the record's
 * reference bit (layout.ts): the one shared write a reader makes.
 */
export function load(core: MapCore, key: Key, withValue = true): Raw | typeof ABSENT {
  core.enter()
  const kind = keyKind(key)
  const hash = core.hash(key, kind)
  const meta = metaOf(hash)
  const shard = core.shardOf(hash)
  const fields = core.fieldsOf(shard)
  const referenced = withValue && core.sieve
  if (core.optimistic) {
    const arena = core.arena
    const seqAt = fields + S.SEQ
    for (let attempt = 0; ; attempt++) {
      const before = Atomics.load(arena.i32, seqAt)
      if ((before & 1) === 0) {
        // After the seq: every block of the state it names is then inside the views.
        arena.sync()
        failpoint('read:begun')
        const found = core.tables.findRacy(fields, key, kind, meta)
        // A computation in flight (flight.ts) is no value.
        const record = found !== 0 && core.cacheRecords && core.values.tagOfRecord(found, true) === ValueTag.pending ? 0 : found
        const value = record === 0 ? ABSENT : withValue ? (core.values.ofRecordRacy(record) ?? TORN) : 0
        const deadline = record !== 0 && core.cacheRecords ? deadlineRacy(arena.u32, record) : 0
        // What a read cache would remember, loaded inside the window so that it belongs
        // to the state validated; not loaded when no cache will keep the value.
        const remembered = withValue && value !== ABSENT && (core.cache !== undefined || referenced)
        const genAt = (record >>> 2) + (R_GEN >>> 2)
        const gen = !remembered || genAt >= arena.i32.length ? DEAD : Atomics.load(arena.i32, genAt)
        const era = remembered ? Atomics.load(arena.i32, fields + S.ERA) : 0
        if (Atomics.load(arena.i32, seqAt) === before && value !== TORN) {
          const state = core.found
          state.seqAt = seqAt
          state.seq = before
          state.era = era
          state.genAt = genAt
          state.gen = gen & GEN_MASK
          state.deadline = deadline
          if (value === ABSENT || isExpired(deadline, Date.now())) return ABSENT
          if (referenced && (gen & REF) === 0 && gen !== DEAD) Atomics.compareExchange(arena.i32, genAt, gen, gen | REF)
          return value
        }
      }
      core.retries++
      backOff(core, shard, seqAt, attempt)
    }
  }
  const token = core.protection.lockRead(shard)
  try {
    core.arena.sync()
    failpoint('read:begun')
    const record = core.tables.find(fields, key, kind, meta)
    const deadline = record !== 0 && core.cacheRecords ? deadlineLocked(core.arena.u32, record) : 0
    core.found.deadline = deadline
    if (record === 0 || isExpired(deadline, Date.now())) return ABSENT
    if (core.cacheRecords && core.values.tagOfRecord(record, false) === ValueTag.pending) return ABSENT
    if (referenced) reference(core.arena.i32, (record + R_GEN) >>> 2)
    return withValue ? core.values.ofRecord(record) : 0
  } finally {
    core.protection.unlockRead(shard, token)
  }
}

/** Sets the 'sieve' reference bit of the record whose generation word is at genAt. */
export function reference(i32: Int32Array, genAt: number, gen?: number): void {
  const word = Atomics.load(i32, genAt)
  if ((word & REF) !== 0 || word === DEAD || (gen !== undefined && word !== gen)) return
  Atomics.compareExchange(i32, genAt, word, word | REF)
}

/**
 * An optimistic reader found its shard changing. Spin first (writers hold a shard
 * for well under a microsecond), then sleep a little, and when the shard stays odd
 * check whether its writer died: then take the shard over and repair it, the one
 * case where a reader writes shared memory.
 */
function backOff(core: MapCore, shard: number, seqAt: number, attempt: number): void {
  if (attempt < 64) return
  const seq = Atomics.load(core.arena.i32, seqAt)
  if ((seq & 1) === 0) return
  try {
    Atomics.wait(core.arena.i32, seqAt, seq, 1)
  } catch {
    // A thread that may not block keeps spinning.
  }
  if (attempt % 16 === 0) core.protection.recoverDeadWriter(shard, attempt)
}

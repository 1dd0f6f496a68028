/**
 * Changing a key: set, delete, the sync.Map atomic operations and the callbacks of
 * update / getOrCompute, all under the key's shard write lock with its seq odd for
 * the change (read.ts says why readers then never see half of one).
 *
 * A change never edits a published record: it writes a complete new one and
 * publishes it with one aligned 32-bit store (the slot meta for a new key, the
 * record offset for a new value, a tombstone for a removal). A thread killed
 * mid-write therefore leaves either the old state or the new one visible, never
 * half of one; what it may leave behind (a lock word naming it, an odd seq, a stale
 * count, a resize cut short, a leaked block) is repaired by the next writer, who
 * takes the lock over once the dead thread is known (watch(), threads.ts).
 *
 * Callbacks (update, getOrCompute) run holding the shard's write lock but with its
 * seq even, so optimistic readers are not held up by user code; the change they
 * decide is applied afterwards under an odd seq.
 */
import { encodedKeyBytes, keyKind, writeKey, type Key, type KeyKind } from '../codec/index.js'
import { H, R_GEN, R_KEY, R_KEY_BYTES, R_KIND, R_VALUE_BYTES, S, X_DEADLINE_HI, X_DEADLINE_LO, align4, metaOf, recordBytes } from './layout.js'
import { inCallback, type MapCore } from './core.js'
import { ABSENT } from './read.js'
import { ValueTag, type Encoded, type Raw } from './values.js'
import { failpoint } from './failpoints.js'
import { scratchFor, storeWords } from './words.js'
import { allocRecordLocked, reserveSlotLocked } from './alloc.js'
import { releaseEntry, reserveEntryLocked, withRoom } from './evict.js'
import { Removal, liveSlotLocked, notifyFlightsLocked, staleLocked, unpublishLocked } from './remove.js'
import { deadlineAfter } from './expiry.js'
import { nextGenLocked } from './generations.js'

/**
 * Locks key's shard and runs body with the key's slot (-1: absent; an expired entry
 * is removed first and absent; see liveSlotLocked for keepPending), under an odd seq. body may back out for want of
 * room in a bounded map (evict.ts) and then runs again: it must change nothing
 * before its putLocked().
 */
export function change(core: MapCore, key: Key, body: (fields: number, slot: number, kind: KeyKind, hash: number) => void, keepPending = false): void {
  const kind = keyKind(key)
  const hash = core.hash(key, kind)
  const shard = core.shardOf(hash)
  withRoom(core, () => {
    const fields = core.lockShard(shard)
    try {
      core.beginChangeLocked(fields)
      try {
        body(fields, liveSlotLocked(core, fields, core.tables.locateLocked(fields, key, kind, metaOf(hash)), keepPending), kind, hash)
      } finally {
        core.endChangeLocked(fields)
      }
    } finally {
      core.unlockShard(shard)
    }
  })
}

/** set(): change() specialised by hand, since its closure would cost about a tenth of a set. */
export function put(core: MapCore, key: Key, bytes: Encoded, deadline: number): void {
  if (core.maxEntries !== 0) {
    change(core, key, (fields, slot, kind, hash) => putLocked(core, fields, slot, key, kind, hash, bytes, deadline))
    return
  }
  const kind = keyKind(key)
  const hash = core.hash(key, kind)
  const shard = core.shardOf(hash)
  const fields = core.lockShard(shard)
  try {
    core.beginChangeLocked(fields)
    try {
      putLocked(core, fields, liveSlotLocked(core, fields, core.tables.locateLocked(fields, key, kind, metaOf(hash))), key, kind, hash, bytes, deadline)
    } finally {
      core.endChangeLocked(fields)
    }
  } finally {
    core.unlockShard(shard)
  }
}

/** The value bytes of the record in slot (a locked, private copy). */
export function valueInLocked(core: MapCore, slot: number): Raw {
  return core.values.ofRecord(core.arena.u32[slot + 1] ?? 0)
}

/** Whether the record in slot holds exactly the encoding expected. */
export function holdsLocked(core: MapCore, slot: number, expected: Encoded): boolean {
  return core.values.recordHolds(core.arena.u32[slot + 1] ?? 0, expected)
}

/** delete / loadAndDelete: removes key, returning its value bytes (copied if wanted). */
export function take(core: MapCore, key: Key, withValue: boolean): Raw | typeof ABSENT {
  let taken: Raw | typeof ABSENT = ABSENT
  change(core, key, (fields, slot) => {
    if (slot < 0) return
    taken = withValue ? valueInLocked(core, slot) : 0
    removeLocked(core, fields, slot)
  })
  return taken
}

/**
 * update / getOrCompute: fn decides the new value from the current bytes while
 * the shard is locked but its seq is even; the decision is then applied. In a
 * bounded map an absent key's place is taken before fn runs, so that fn runs once,
 * unless the record finds no block in a full arena that the writer can free while
 * holding its shard (alloc.ts): the write then backs out to make room with no lock
 * held, and runs fn again on the value current by then, as a CAS loop would.
 */
export function compute<V>(core: MapCore, key: Key, fn: (current: Raw | typeof ABSENT) => V | undefined, keepPresent: boolean, ttl: number): V | undefined {
  const kind = keyKind(key)
  const hash = core.hash(key, kind)
  const meta = metaOf(hash)
  const shard = core.shardOf(hash)
  return withRoom(core, () => {
    const fields = core.lockShard(shard)
    try {
      let record = core.tables.find(fields, key, kind, meta)
      if (record !== 0 && staleLocked(core, record, Date.now())) {
        core.changeLocked(fields, () => liveSlotLocked(core, fields, core.tables.locateLocked(fields, key, kind, meta)))
        record = 0
      }
      const current = record === 0 ? ABSENT : core.values.ofRecord(record)
      if (keepPresent && current !== ABSENT) return core.values.finish(current) as V
      const reserved = record === 0 && core.maxEntries !== 0
      if (reserved) core.changeLocked(fields, () => reserveEntryLocked(core, fields))
      let next: V | undefined
      let bytes: Encoded | undefined
      try {
        inCallback.add(core.id)
        try {
          next = fn(current)
        } finally {
          inCallback.delete(core.id)
        }
        bytes = next === undefined ? undefined : core.encode(next)
      } catch (err) {
        if (reserved) releaseEntry(core)
        throw err
      }
      if (bytes === undefined && (record === 0 || keepPresent)) {
        if (reserved) releaseEntry(core)
        return next
      }
      const deadline = deadlineAfter(ttl)
      core.changeLocked(fields, () => {
        const at = core.tables.locateLocked(fields, key, kind, meta)
        if (bytes !== undefined) putLocked(core, fields, at, key, kind, hash, bytes, deadline, reserved)
        else if (at >= 0) removeLocked(core, fields, at)
      })
      return next
    } finally {
      core.unlockShard(shard)
    }
  })
}

/**
 * Empties every shard, holding them all: one atomic change of the map, and a clear
 * that times out waiting for a shard (lockTimeout) has changed nothing.
 */
export function clear(core: MapCore): void {
  core.withAllShards(() => {
    for (let shard = 0; shard < core.shards; shard++) {
      const fields = core.fieldsOf(shard)
      core.changeLocked(fields, () => {
        const u32 = core.arena.u32
        const entries = (u32[fields + S.COUNT] ?? 0) - (u32[fields + S.PENDING] ?? 0)
        core.tables.clearLocked(fields)
        if (!core.cacheRecords) return
        core.queues.resetLocked(fields)
        if (core.maxEntries !== 0) Atomics.sub(core.arena.i32, H.LIVE, entries)
        if ((u32[fields + S.PENDING] ?? 0) === 0) return
        u32[fields + S.PENDING] = 0
        notifyFlightsLocked(core, fields)
      })
    }
  })
}

/**
 * Writes a record for key and value, to expire at deadline (0: never; cache maps),
 * and publishes it in slot (-1: as a new key, which first takes its place in a
 * bounded map unless `reserved` says compute() did). Into fresh memory with plain
 * stores; into a reused block that optimistic readers may be reading, through a
 * private scratch stored with Atomics (words.ts).
 */
export function putLocked(
  core: MapCore,
  fields: number,
  slot: number,
  key: Key,
  kind: KeyKind,
  hash: number,
  value: Encoded,
  deadline: number,
  reserved = false,
  pending = false,
): void {
  const fresh = slot < 0
  // A pending record (flight.ts) is no entry: it takes no place in the bound or the queue.
  const entry = !pending
  if (fresh) {
    reserveSlotLocked(core, fields)
    if (entry && !reserved && core.maxEntries !== 0) reserveEntryLocked(core, fields)
  } else if (reserved) {
    releaseEntry(core)
  }
  const arena = core.arena
  const values = core.values
  const below = core.below
  const keyBytes = encodedKeyBytes(key, kind)
  const tag = pending ? ValueTag.pending : values.tagOf(value)
  const valueBytes = values.byteLength(value, tag)
  const bytes = below + recordBytes(keyBytes, valueBytes)
  const previous = fresh ? 0 : (arena.u32[slot + 1] ?? 0)
  let block: number
  let cls: number
  try {
    block = allocRecordLocked(core, fields, bytes, previous)
    cls = arena.blockClass
  } catch (err) {
    if (fresh && entry) releaseEntry(core)
    throw err
  }
  const record = block + below
  const atomic = arena.racy && arena.reused
  const views = atomic ? scratchFor(align4(bytes)) : arena.views
  const at = (atomic ? 0 : block) + below
  const word = at >>> 2
  if (below !== 0) {
    views.u32[word + (X_DEADLINE_HI >> 2)] = Math.floor(deadline / 2 ** 32)
    views.u32[word + (X_DEADLINE_LO >> 2)] = deadline >>> 0
  }
  const gen = nextGenLocked(core, fields)
  views.u32[word + (R_KEY_BYTES >>> 2)] = keyBytes
  // The fourth byte: the low bits of the generation's epoch (generations.ts).
  views.u32[word + (R_KIND >>> 2)] = kind | (tag << 8) | (cls << 16) | ((arena.u32[fields + S.GEN_EPOCH] ?? 0) << 24)
  views.u32[word + (R_VALUE_BYTES >>> 2)] = valueBytes
  const seq = arena.i32[fields + S.SEQ] ?? 0
  views.u32[word + (R_GEN >>> 2)] = gen
  const found = core.found
  found.seqAt = fields + S.SEQ
  found.seq = (seq + 1) | 0
  found.era = arena.i32[fields + S.ERA] ?? 0
  found.genAt = (record >>> 2) + (R_GEN >>> 2)
  found.gen = gen
  found.deadline = deadline
  writeKey(key, kind, views, at + R_KEY)
  values.write(value, tag, views, at + R_KEY + align4(keyBytes))
  if (atomic) storeWords(arena.u32, block >>> 2, views.u32, align4(bytes) >>> 2)
  failpoint('put:record-written')
  if (fresh) {
    core.tables.insertLocked(fields, metaOf(hash), record)
  } else {
    if (below !== 0) core.queues.unlinkLocked(fields, previous)
    core.tables.replaceLocked(fields, slot, record)
  }
  if (pending) arena.u32[fields + S.PENDING] = (arena.u32[fields + S.PENDING] ?? 0) + 1
  else if (below !== 0) core.queues.appendLocked(fields, record)
}

export function removeLocked(core: MapCore, fields: number, slot: number): void {
  unpublishLocked(core, fields, slot, Removal.deleted)
  core.tables.maybeShrinkLocked(fields)
}

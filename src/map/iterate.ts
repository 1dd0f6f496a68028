/**
 * Iteration and snapshots. Iteration takes each shard's entries as one consistent
 * copy (optimistic validation, falling back to the shard lock after repeated
 * conflicts), so it never yields a key twice and yields every key present
 * throughout; a snapshot copies all shards at one point in time (all their seqs
 * unchanged across the copy, or every shard's lock). Expired entries are left out,
 * judged at one instant for the whole iteration or snapshot (`now`).
 */
import { readKey, type Key } from '../codec/index.js'
import { FULL, R_KEY, R_KEY_BYTES, R_KIND, S, Strategy, align4, maxShardCap, tagOfKindWord } from './layout.js'
import type { MapCore } from './core.js'
import { deadlineLocked, deadlineRacy, isExpired } from './expiry.js'
import { TORN } from './read.js'
import { ValueTag, type Raw } from './values.js'
import { loadWords } from './words.js'

const OPTIMISTIC_SHARD_ATTEMPTS = 8
const OPTIMISTIC_SNAPSHOT_ATTEMPTS = 3

export interface Entry {
  readonly key: Key
  readonly value: Raw | undefined
}

const TABLE_FIELDS = [
  [S.TABLE, S.CAP],
  [S.OLD, S.OLD_CAP],
] as const

/** One shard's entries, as one consistent copy. */
export function shardEntries(core: MapCore, shard: number, withValues: boolean, now: number): Entry[] {
  core.enter()
  const fields = core.fieldsOf(shard)
  if (core.optimistic) {
    const seqAt = fields + S.SEQ
    for (let attempt = 0; attempt < OPTIMISTIC_SHARD_ATTEMPTS; attempt++) {
      const before = Atomics.load(core.arena.i32, seqAt)
      if ((before & 1) === 0) {
        core.arena.sync()
        const entries = collect(core, fields, withValues, true, now)
        if (entries !== TORN && Atomics.load(core.arena.i32, seqAt) === before) return entries
      }
      core.retries++
    }
    return core.withShard(shard, () => collect(core, fields, withValues, false, now) as Entry[])
  }
  const token = core.protection.lockRead(shard, true)
  try {
    core.arena.sync()
    return collect(core, fields, withValues, false, now) as Entry[]
  } finally {
    core.protection.unlockRead(shard, token, true)
  }
}

/** Every entry of the map at one point in time. */
export function snapshotEntries(core: MapCore): Entry[] {
  core.enter()
  const now = Date.now()
  const shards = core.shards
  const i32 = () => core.arena.i32
  if (core.optimistic) {
    for (let attempt = 0; attempt < OPTIMISTIC_SNAPSHOT_ATTEMPTS; attempt++) {
      const seqs = Array.from({ length: shards }, (_, shard) => Atomics.load(i32(), core.fieldsOf(shard) + S.SEQ))
      if (seqs.some((seq) => (seq & 1) === 1)) continue
      core.arena.sync()
      const all: Entry[] = []
      let torn = false
      for (let shard = 0; shard < shards && !torn; shard++) {
        const entries = collect(core, core.fieldsOf(shard), true, true, now)
        if (entries === TORN) torn = true
        else all.push(...entries)
      }
      if (!torn && seqs.every((seq, shard) => Atomics.load(i32(), core.fieldsOf(shard) + S.SEQ) === seq)) return all
      core.retries++
    }
    return core.withAllShards(() => collectAll(core, now))
  }
  if (core.protection.global || core.strategy === Strategy.none) {
    const token = core.protection.lockRead(0, true)
    try {
      return collectAll(core, now)
    } finally {
      core.protection.unlockRead(0, token, true)
    }
  }
  const tokens: number[] = []
  try {
    for (let shard = 0; shard < shards; shard++) tokens.push(core.protection.lockRead(shard))
    return collectAll(core, now)
  } finally {
    tokens.forEach((token, shard) => core.protection.unlockRead(shard, token))
  }
}

function collectAll(core: MapCore, now: number): Entry[] {
  core.arena.sync()
  const all: Entry[] = []
  for (let shard = 0; shard < core.shards; shard++) all.push(...(collect(core, core.fieldsOf(shard), true, false, now) as Entry[]))
  return all
}

/**
 * Copies a shard's keys (decoded) and value bytes. racy: with no lock, every word
 * read with Atomics.load, every offset and length bounded, and an impossible one
 * gives TORN (only in a read that validation rejects).
 */
function collect(core: MapCore, fields: number, withValues: boolean, racy: boolean, now: number): Entry[] | typeof TORN {
  const arena = core.arena
  const u32 = arena.u32
  const load = racy ? (index: number) => Atomics.load(u32, index) : (index: number) => u32[index] ?? 0
  const entries: Entry[] = []
  const seen = new Set<number>()
  const words = u32.length
  for (const [tableAt, capAt] of TABLE_FIELDS) {
    const table = load(fields + tableAt)
    const cap = load(fields + capAt)
    if (table === 0) continue
    if (cap > maxShardCap(core.shardBits) || (table >>> 2) + 2 * cap > words) return TORN
    for (let i = 0; i < cap; i++) {
      const slot = (table >>> 2) + 2 * i
      if ((load(slot) & 3) !== FULL) continue
      const record = load(slot + 1)
      if (seen.has(record)) continue
      seen.add(record)
      const word = record >>> 2
      if (word + (R_KEY >>> 2) > words || record < core.below) return TORN
      if (core.cacheRecords && isExpired(racy ? deadlineRacy(u32, record) : deadlineLocked(u32, record), now)) continue
      const keyBytes = load(word + (R_KEY_BYTES >>> 2))
      const keyWords = align4(keyBytes) >>> 2
      if (word + (R_KEY >>> 2) + keyWords > words) return TORN
      const kindWord = load(word + (R_KIND >>> 2))
      if (tagOfKindWord(kindWord) === ValueTag.pending) continue
      const kind = kindWord & 0xff
      const key = racy ? readKey(loadWords(u32, word + (R_KEY >>> 2), keyWords), 0, keyBytes, kind) : readKey(arena.views, record + R_KEY, keyBytes, kind)
      const value = !withValues ? undefined : racy ? (core.values.ofRecordRacy(record) ?? TORN) : core.values.ofRecord(record)
      if (value === TORN) return TORN
      entries.push({ key, value })
    }
  }
  return entries
}

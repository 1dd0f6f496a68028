/** What a map tells about itself: stats() and the debug invariant check. */
import { hashStoredKey } from '../codec/index.js'
import { H, S, maxShardCap, metaOf } from './layout.js'
import type { MapCore } from './core.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { checkMapInvariants } from './invariants.js'
import { sweeperOf } from './sweep.js'
import { ValueTag } from './values.js'
import type { SharedMapStats, ShardStats } from './types.js'

/** A shard's entries: its table's records less the computations in flight (read without a lock). */
export function entriesOf(u32: Uint32Array, fields: number): number {
  return Atomics.load(u32, fields + S.COUNT) - Atomics.load(u32, fields + S.PENDING)
}

/** Read without locks: approximate while writers run. */
export function statsOf(core: MapCore): SharedMapStats {
  core.enter()
  const arena = core.arena
  arena.sync()
  const u32 = arena.u32
  const perShard: ShardStats[] = []
  let free = 0
  for (let shard = 0; shard < core.shards; shard++) {
    const fields = core.fieldsOf(shard)
    perShard.push({
      size: entriesOf(u32, fields),
      capacity: Atomics.load(u32, fields + S.CAP),
      tombstones: Atomics.load(u32, fields + S.TOMBS),
      resizing: Atomics.load(u32, fields + S.OLD) !== 0,
      resizes: Atomics.load(u32, fields + S.RESIZES),
      longestProbe: core.tables.longestProbe(fields),
    })
    free += arena.freeBytes(fields, 1 << 20)
  }
  const sum = (pick: (s: ShardStats) => number) => perShard.reduce((total, s) => total + pick(s), 0)
  const size = sum((s) => s.size)
  const capacity = sum((s) => s.capacity)
  const cache = core.cache
  return {
    concurrency: core.concurrency,
    shards: core.shards,
    size,
    capacity,
    load: capacity === 0 ? 0 : size / capacity,
    tombstones: sum((s) => s.tombstones),
    resizes: sum((s) => s.resizes),
    resizing: perShard.filter((s) => s.resizing).length,
    longestProbe: Math.max(0, ...perShard.map((s) => s.longestProbe)),
    bytes: { used: arena.top, reserved: arena.buffer.byteLength, max: arena.buffer.maxByteLength, free },
    recoveries: Atomics.load(arena.i32, H.RECOVERIES),
    optimisticRetries: core.retries,
    readCache: { entries: cache?.size ?? 0, capacity: cache?.capacity ?? 0, hits: cache?.hits ?? 0, misses: cache?.misses ?? 0 },
    expirations: Atomics.load(arena.u32, H.EXPIRATIONS),
    evictions: Atomics.load(arena.u32, H.EVICTIONS),
    sweeps: Atomics.load(arena.u32, H.SWEEPS),
    computations: Atomics.load(arena.u32, H.COMPUTATIONS),
    joins: Atomics.load(arena.u32, H.JOINS),
    sweeper: sweeperOf(Atomics.load(arena.i32, H.SWEEPER)),
    perShard,
  }
}

/** Checks every internal invariant holding every shard's lock (ERR_INVARIANT_VIOLATION). */
export function checkInvariants(core: MapCore): void {
  core.enter()
  const shards = Array.from({ length: core.shards }, (_, shard) => shard)
  core.withAllShards(() => {
    checkMapInvariants({
      arena: core.arena,
      shards,
      fieldsOf: (shard) => core.fieldsOf(shard),
      shardOf: (hash) => core.shardOf(hash),
      hashStored: (offset, bytes, kind) => hashStoredKey(core.arena.views, offset, bytes, kind, core.seed0, core.seed1),
      find: (fields, key, kind, hash) => core.tables.find(fields, key, kind, metaOf(hash)),
      heapStart: core.shardsBase * 4 + core.shards * core.shardWords * 4,
      maxCap: maxShardCap(core.shardBits),
      below: core.below,
      ...(core.cacheRecords ? { queueProblem: (fields: number, live: ReadonlySet<number>) => queueProblemLocked(core, fields, live) } : {}),
    })
    if (core.maxEntries === 0) return
    const i32 = core.arena.i32
    let entries = 0
    for (const shard of shards) entries += entriesOf(core.arena.u32, core.fieldsOf(shard))
    const live = Atomics.load(i32, H.LIVE)
    const fail = (what: string) => conmapError(ErrorCode.INVARIANT_VIOLATION, what)
    if (entries > core.maxEntries) throw fail(`${entries} entries exceed maxEntries ${core.maxEntries}`)
    // A dead writer may leave live above the entries until the recount (evict.ts), never below.
    if (Atomics.load(i32, H.RECOUNT) === 0 ? live !== entries : live < entries) throw fail(`live counts ${live} entries, the shards hold ${entries}`)
  })
}

/** The queue holds every record of the shard but those of computations in flight. */
function queueProblemLocked(core: MapCore, fields: number, records: ReadonlySet<number>): string | undefined {
  const entries = new Set([...records].filter((record) => core.values.tagOfRecord(record, false) !== ValueTag.pending))
  const pending = records.size - entries.size
  if (pending !== (core.arena.u32[fields + S.PENDING] ?? 0)) return `pending counts ${core.arena.u32[fields + S.PENDING]} computations, the table holds ${pending}`
  return core.queues.problemLocked(fields, entries)
}

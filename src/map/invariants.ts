/**
 * checkInvariants(): walks a map's memory, holding every shard, and throws
 * ERR_INVARIANT_VIOLATION at the first thing that is not as layout.ts says:
 *   - each table's cap is a power of two within the shard's bound, inside the arena;
 *   - every FULL slot points at a record inside the heap whose key is valid, hashes
 *     (with the map's seed) to this shard and to the slot's meta, and is found by a
 *     lookup; no record is reachable from two slots;
 *   - COUNT equals the live entries and TOMBS the tombstones of the current table;
 *     during a resize, no old slot below the evacuation cursor is FULL;
 *   - the seq word is even (no change in progress);
 *   - every free-list block is aligned, inside the heap, reached once, and is
 *     neither a live record nor a table;
 *   - cache maps: the shard's queue links exactly its live records (queue.ts).
 */
import type { KeyKind } from '../codec/index.js'
import { readKey } from '../codec/index.js'
import { ValueTag } from './values.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import type { Arena } from './arena.js'
import { CLASS_COUNT, EMPTY, FULL, R_KEY, R_KEY_BYTES, R_KIND, R_VALUE_BYTES, S, SLOT_BYTES, TOMBSTONE, classBytes, classOfKindWord, metaOf, recordBytes, tagOfKindWord } from './layout.js'

export interface InvariantContext {
  readonly arena: Arena
  readonly shards: readonly number[]
  fieldsOf(shard: number): number
  shardOf(hash: number): number
  hashStored(offset: number, bytes: number, kind: KeyKind): number
  find(fields: number, key: ReturnType<typeof readKey>, kind: KeyKind, hash: number): number
  readonly heapStart: number
  readonly maxCap: number
  /** Bytes of a record's block below the record (cache maps), else 0. */
  readonly below: number
  /** What is wrong with a cache map shard's queue, given its live records. */
  queueProblem?(fields: number, live: ReadonlySet<number>): string | undefined
}

export function checkMapInvariants(ctx: InvariantContext): void {
  const { arena } = ctx
  const { i32, u32 } = arena
  const top = arena.top
  const fail = (shard: number, what: string): never => {
    throw conmapError(ErrorCode.INVARIANT_VIOLATION, `shard ${shard}: ${what}`)
  }
  const inHeap = (offset: number, bytes: number) => offset >= ctx.heapStart && offset % 8 === 0 && offset + bytes <= top
  // Map-wide: blocks move between shards (arena.ts).
  const used = new Set<number>()
  for (const shard of ctx.shards) {
    const fields = ctx.fieldsOf(shard)
    if ((i32[fields + S.SEQ] ?? 0) & 1) fail(shard, 'seq is odd: a change was left unfinished')
    const tables: Array<[number, number, number]> = [[u32[fields + S.TABLE] ?? 0, u32[fields + S.CAP] ?? 0, 0]]
    const old = u32[fields + S.OLD] ?? 0
    if (old !== 0) {
      const oldCap = u32[fields + S.OLD_CAP] ?? 0
      const evac = u32[fields + S.EVAC] ?? 0
      if (evac > oldCap) fail(shard, `evacuation cursor ${evac} past the old table's ${oldCap} slots`)
      tables.push([old, oldCap, evac])
    }
    let live = 0
    let tombs = 0
    const records = new Set<number>()
    tables.forEach(([table, cap, evacuated], which) => {
      if (cap < 1 || (cap & (cap - 1)) !== 0 || cap > ctx.maxCap) fail(shard, `table capacity ${cap} is not a power of two within ${ctx.maxCap}`)
      if (!inHeap(table, cap * SLOT_BYTES)) fail(shard, `table at ${table} (${cap} slots) is outside the heap`)
      used.add(table)
      let empties = 0
      for (let i = 0; i < cap; i++) {
        const slot = (table >>> 2) + 2 * i
        const meta = i32[slot] ?? 0
        if (meta === EMPTY) empties++
        if (meta === EMPTY || meta === TOMBSTONE) {
          if (meta === TOMBSTONE && which === 0) tombs++
          continue
        }
        if ((meta & 3) !== FULL) fail(shard, `slot ${i} has an invalid meta ${meta}`)
        if (which === 1 && i < evacuated) fail(shard, `old slot ${i} is below the evacuation cursor but still full`)
        const record = u32[slot + 1] ?? 0
        const keyBytes = u32[(record >>> 2) + (R_KEY_BYTES >>> 2)] ?? 0
        const kindWord = u32[(record >>> 2) + (R_KIND >>> 2)] ?? 0
        const kind = (kindWord & 0xff) as KeyKind
        const tag = tagOfKindWord(kindWord)
        const size = ctx.below + recordBytes(keyBytes, u32[(record >>> 2) + (R_VALUE_BYTES >>> 2)] ?? 0)
        if (!inHeap(record - ctx.below, classBytes(classOfKindWord(kindWord)))) fail(shard, `slot ${i} points at a record outside the heap (${record})`)
        if (classBytes(classOfKindWord(kindWord)) < size) fail(shard, `record ${record} (${size} bytes) is in a block of class ${classOfKindWord(kindWord)}`)
        if (kind < 1 || kind > 3) fail(shard, `record ${record} has key kind ${kind}`)
        if (!Object.values(ValueTag).includes(tag as ValueTag)) fail(shard, `record ${record} has value tag ${tag}`)
        if (used.has(record - ctx.below)) fail(shard, `record ${record} is reachable twice`)
        used.add(record - ctx.below)
        records.add(record)
        const hash = ctx.hashStored(record + R_KEY, keyBytes, kind)
        if (metaOf(hash) !== meta) fail(shard, `record ${record}'s key does not hash to its slot's meta`)
        if (ctx.shardOf(hash) !== shard) fail(shard, `record ${record}'s key belongs to shard ${ctx.shardOf(hash)}`)
        const key = readKey(arena.views, record + R_KEY, keyBytes, kind)
        if (ctx.find(fields, key, kind, hash) !== record) fail(shard, `key ${String(key)} is not found by a lookup`)
        live++
      }
      if (which === 0 && empties === 0) fail(shard, 'the current table has no empty slot (probes could not end)')
    })
    if (live !== (u32[fields + S.COUNT] ?? 0)) fail(shard, `count ${u32[fields + S.COUNT]} but ${live} live entries`)
    if (tombs !== (u32[fields + S.TOMBS] ?? 0)) fail(shard, `tombstones ${u32[fields + S.TOMBS]} but ${tombs} counted`)
    const problem = ctx.queueProblem?.(fields, records)
    if (problem !== undefined) fail(shard, problem)
  }
  const free = new Set<number>()
  for (const shard of ctx.shards) {
    const fields = ctx.fieldsOf(shard)
    for (let cls = 0; cls < CLASS_COUNT; cls++) {
      for (let block = Atomics.load(u32, fields + S.FREE + cls); block !== 0; block = u32[block >>> 2] ?? 0) {
        if (!inHeap(block, classBytes(cls))) fail(shard, `free block ${block} of class ${cls} is outside the heap`)
        if (free.has(block)) fail(shard, `free block ${block} is on two free lists, or list ${cls} has a cycle there`)
        if (used.has(block)) fail(shard, `free block ${block} is also in use`)
        free.add(block)
      }
    }
  }
}

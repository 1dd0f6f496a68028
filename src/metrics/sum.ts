/**
 * map.metrics(): every row of the region added up (rows of dead threads included,
 * layout.ts), with the figures the map already keeps in its header and shard
 * descriptors (recoveries, resizes, entries, bytes) read where they live. Plain
 * loads, no lock: a sum taken while threads record is approximate, each cell a value
 * it had during the call.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import type { MapCore } from '../map/core.js'
import { entriesOf } from '../map/inspect.js'
import { H, S } from '../map/layout.js'
import { BUCKETS, ERROR_SLOTS, HOT, LockMode, OP_CELLS, RETRIES, RH, SAMPLES, WAIT, WAIT_BOUNDS, WAIT_STRIDE } from './layout.js'
import { ERROR_OUTCOMES, OPS } from './ops.js'
import { rowOf, type Region } from './recorder.js'
import type { LockWaitHistogram, MapMetrics, OpMetrics } from './types.js'

export function regionFor(core: MapCore, what: string): Region {
  const region = core.metricsRegion
  if (region === undefined) throw conmapError(ErrorCode.INVALID_ARGUMENT, `${what} needs a map made with metrics: true (new SharedMap({ metrics: true }))`)
  return region
}

/** Every row, the overflow row included: rows never claimed hold zeros. */
export function allRows(region: Region): Float64Array[] {
  return Array.from({ length: region.rows + 1 }, (_, row) => rowOf(region, row))
}

export function metricsOf(core: MapCore): MapMetrics {
  core.enter()
  const region = regionFor(core, 'metrics()')
  const rows = allRows(region)
  const total = new Float64Array(HOT)
  for (const row of rows) for (let cell = 0; cell < HOT; cell++) total[cell] = (total[cell] ?? 0) + (row[cell] ?? 0)
  const errors = OPS.map(() => ({}) as Record<string, number>)
  let untracked = total[OP_CELLS + 2 * ERROR_SLOTS - 1] ?? 0
  for (const row of rows) {
    for (let slot = 0; slot < ERROR_SLOTS - 1; slot++) {
      const tag = (row[OP_CELLS + 2 * slot] ?? 0) - 1
      const count = row[OP_CELLS + 2 * slot + 1] ?? 0
      const perOp = errors[tag >> 6]
      const code = ERROR_OUTCOMES[(tag & 63) - 3]
      if (tag < 0 || count === 0) continue
      if (perOp === undefined || code === undefined) untracked += count
      else perOp[code] = (perOp[code] ?? 0) + count
    }
  }
  const ops: Record<string, OpMetrics> = {}
  OPS.forEach((spec, op) => {
    const hits = total[op * 3] ?? 0
    const misses = total[op * 3 + 1] ?? 0
    ops[spec.name] = { ok: hits + misses + (total[op * 3 + 2] ?? 0), hits, misses, errors: errors[op] ?? {} }
  })
  const arena = core.arena
  arena.sync()
  let entries = 0
  let resizes = 0
  for (let shard = 0; shard < core.shards; shard++) {
    const fields = core.fieldsOf(shard)
    entries += entriesOf(arena.u32, fields)
    resizes += Atomics.load(arena.u32, fields + S.RESIZES)
  }
  return {
    ops,
    lockWaits: { read: histogram(total, LockMode.read), write: histogram(total, LockMode.write) },
    lockTimeouts: Object.values(ops).reduce((sum, op) => sum + (op.errors[ErrorCode.LOCK_TIMEOUT] ?? 0), 0),
    optimisticRetries: total[RETRIES] ?? 0,
    recoveries: Atomics.load(arena.u32, H.RECOVERIES),
    resizes,
    entries: core.maxEntries === 0 ? entries : Math.min(entries, Atomics.load(arena.i32, H.LIVE)),
    bytes: { used: arena.top, reserved: arena.buffer.byteLength, max: arena.buffer.maxByteLength },
    sampledCalls: total[SAMPLES] ?? 0,
    overflowThreads: Atomics.load(region.i32, (region.at >>> 2) + RH.OVERFLOW),
    untrackedErrors: untracked,
  }
}

function histogram(total: Float64Array, mode: number): LockWaitHistogram {
  const at = WAIT + mode * WAIT_STRIDE
  const counts = Array.from(total.subarray(at, at + BUCKETS))
  return { bounds: WAIT_BOUNDS, counts, count: counts.reduce((a, b) => a + b, 0), sum: total[at + BUCKETS] ?? 0 }
}

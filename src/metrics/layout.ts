/**
 * The metrics region of a SharedMap made with `metrics: true`: a fixed block of the
 * map's arena, placed by create() between the shard descriptors and the first
 * tables, its byte offset in header word H.METRICS (0: metrics off). Every offset
 * below is fixed for the map's life, so each thread takes its views once.
 *
 * Region (bytes from its start; all 8-byte aligned):
 *   0   header, HEADER_WORDS Int32 words:
 *         0 magic (REGION_MAGIC)   1 rows R   2 hot-key buckets per array W
 *         3 sample period P (a key is sampled once per P keyed calls, on average)
 *         4 cells per row          5 overflow: threads that found no row of their own
 *         6-7 unused (keeps the owner table 8-aligned)
 *   32  owner table: R slots of two Int32 words (HolderSlots, holder-slots.ts):
 *         owner id (the thread writing row i), and a word left 0
 *   then, from the next multiple of 64 bytes: R + 1 rows of rowCells(W) Float64
 *         cells, a multiple of 8 cells, so every row fills whole 64-byte cache lines
 *         and no two threads' rows share one (no false sharing: a growable
 *         SharedArrayBuffer is reserved by whole pages, so offsets keep their
 *         alignment); row R is the overflow row
 *
 * Row (cell index):
 *   0 ..< 3·MAX_OPS                 per op (ops.ts): hits, misses, other successes
 *   OP_CELLS ..< +2·ERROR_SLOTS     errors: pairs (tag, count), tag = op·64 + outcome
 *                                   index + 1 (ops.ts), 0 = unused; first come, first slot;
 *                                   the last pair's count takes the errors of pairs
 *                                   past the others (its tag stays 0)
 *   WAIT ..< +2·WAIT_STRIDE         lock waits, per mode (read, write): BUCKETS counts
 *                                   (bucket b holds waits up to 2^b µs, the last one
 *                                   the rest) and their sum in seconds
 *   RETRIES                         optimistic read retries
 *   SAMPLES                         keyed calls sampled into the hot-key summary
 *   HOT ..< +4W                     hot-key summary (HeavyKeeper, recorder.ts): two
 *                                   arrays of W buckets (hash, count)
 *
 * Derived sizes (MAX_OPS 32, ERROR_SLOTS 16, BUCKETS 22): fixed cells 96 + 32 + 46
 * + 2 = 176; a row with the default W = 64 is 176 + 256 = 432 cells = 3456 bytes
 * (54 cache lines); the region reserves 32 + 8R + 63 (the most the alignment of the
 * rows can skip) + (R + 1)·3456 bytes, 225 247 with the default R = 64.
 *
 * Who writes what: a thread claims a row in the owner table (CAS, HolderSlots) the
 * first time it opens the map, and from then on it alone writes that row, with plain
 * stores: recording is an increment of a cell no other thread touches, so it never
 * contends and costs no atomic instruction. Readers (metrics(), hotKeys()) read every
 * row with plain loads: Float64 cells are naturally aligned, so each load sees one
 * whole store (x64 and arm64 move 8 aligned bytes at once), and a figure read while
 * threads record is a value the cell had meanwhile. A row is never cleared: when its
 * owner dies, the owner table frees the slot (reclaimDead) and the next thread to
 * claim it counts on from where the dead one stopped, so the sums keep every count a
 * thread ever recorded. Threads past R share the overflow row; their concurrent
 * increments of one cell can lose counts, which `overflow` (word 5) makes visible.
 */
import { conmapError, ErrorCode } from '../errors/index.js'

export const REGION_MAGIC = 0x6d657472 // 'metr'
export const HEADER_WORDS = 8
export const RH = { MAGIC: 0, ROWS: 1, HOT: 2, SAMPLE: 3, CELLS: 4, OVERFLOW: 5 } as const

/** Op slots per row: the ops of ops.ts, with room for more. */
export const MAX_OPS = 32
export const OP_CELLS = 3 * MAX_OPS
export const ERROR_SLOTS = 16
/** Lock-wait buckets: up to 1 µs, 2 µs, … 2^20 µs (~1.05 s), then the rest. */
export const BUCKETS = 22
export const WAIT_STRIDE = BUCKETS + 1
export const WAIT = OP_CELLS + 2 * ERROR_SLOTS
export const RETRIES = WAIT + 2 * WAIT_STRIDE
export const SAMPLES = RETRIES + 1
export const HOT = SAMPLES + 1

/** Upper bounds of the finite lock-wait buckets, in seconds. */
export const WAIT_BOUNDS: readonly number[] = Array.from({ length: BUCKETS - 1 }, (_, b) => 2 ** b / 1e6)

export const LockMode = { read: 0, write: 1 } as const
export type LockMode = keyof typeof LockMode

/** Cells of a row: rounded up to whole 64-byte lines (8 cells). */
export function rowCells(hotWidth: number): number {
  return (HOT + 4 * hotWidth + 7) & ~7
}

/** The metrics option, validated. */
export interface MetricsConfig {
  readonly rows: number
  readonly hotKeys: number
  readonly sample: number
}

export const DEFAULT_METRICS: MetricsConfig = { rows: 64, hotKeys: 64, sample: 32 }

export function ownerTableWord(region: number): number {
  return (region >>> 2) + HEADER_WORDS
}

/** Where the rows start: past the owner table, at a cache-line boundary. */
export function rowsByte(region: number, rows: number): number {
  return (region + HEADER_WORDS * 4 + rows * 8 + 63) & ~63
}

export function regionBytes(config: MetricsConfig): number {
  return HEADER_WORDS * 4 + config.rows * 8 + 63 + (config.rows + 1) * rowCells(config.hotKeys) * 8
}

/** Writes the region's header into fresh (zeroed) memory at byte offset region. */
export function initRegion(i32: Int32Array, region: number, config: MetricsConfig): void {
  const at = region >>> 2
  i32[at + RH.ROWS] = config.rows
  i32[at + RH.HOT] = config.hotKeys
  i32[at + RH.SAMPLE] = config.sample
  i32[at + RH.CELLS] = rowCells(config.hotKeys)
  i32[at + RH.MAGIC] = REGION_MAGIC
}

/** SharedMapOptions.metrics: false / undefined (off), true (defaults) or MetricsOptions. */
export function metricsOption(value: unknown): MetricsConfig | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return DEFAULT_METRICS
  if (typeof value !== 'object' || value === null) throw conmapError(ErrorCode.INVALID_ARGUMENT, `metrics must be a boolean or an object, got ${String(value)}`)
  const options = value as Record<string, unknown>
  return {
    rows: integerIn(options.threads, 'metrics.threads', DEFAULT_METRICS.rows, 1, 4096),
    hotKeys: integerIn(options.hotKeys, 'metrics.hotKeys', DEFAULT_METRICS.hotKeys, 0, 4096),
    sample: integerIn(options.sample, 'metrics.sample', DEFAULT_METRICS.sample, 1, 65536),
  }
}

function integerIn(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, `${name} must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
  return value
}

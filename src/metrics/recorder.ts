/**
 * One thread's recorder of one map's metrics: the row this thread alone writes
 * (layout.ts). Every SharedMap object of the map in a thread has a recorder, and
 * they all find the same row (the owner table gives a thread its own slot back), so
 * the row still has one writing thread. Recording is plain Float64 increments.
 *
 * Hot keys: one keyed call in `sample` on average (gaps drawn at random in
 * [1, 2·sample - 1], so a workload that cycles with the sample's period is not
 * aliased) puts its key's 32-bit map hash into the row's HeavyKeeper summary (Gong
 * et al., ATC'18; RedisBloom's TOPK): two arrays of buckets (hash, count), the hash
 * picking one bucket in each. Only the owner writes it, so no atomics, and a bucket
 * costs no more than its two cells. Unlike Space-Saving, where every unseen key
 * takes over the least counter and a long tail of keys churns out all but the
 * heaviest, a bucket's holder is displaced only after decays whose odds fall
 * geometrically with its count: a heavy key keeps its bucket, its count a close
 * (under-)estimate, while the tail fights over the rest. Summaries of many threads
 * merge by adding, per hash, each thread's larger count of its two buckets (hot-keys.ts).
 */
import { selfId, ThreadRegistry } from '../sync/threads.js'
import { HolderSlots } from '../sync/holder-slots.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { lockWaits } from './channels.js'
import { BUCKETS, ERROR_SLOTS, HOT, OP_CELLS, REGION_MAGIC, RETRIES, LockMode, RH, SAMPLES, WAIT, WAIT_STRIDE, ownerTableWord, rowsByte } from './layout.js'

/** The shape of the region, as read from its header. */
export interface Region {
  readonly buffer: SharedArrayBuffer
  readonly i32: Int32Array
  /** Byte offset of the region in the arena. */
  readonly at: number
  readonly rows: number
  readonly hotKeys: number
  readonly sample: number
  readonly cells: number
  readonly owners: HolderSlots
}

export function regionOf(buffer: SharedArrayBuffer, at: number, registry: ThreadRegistry): Region {
  const header = new Int32Array(buffer, at, 8)
  if (header[RH.MAGIC] !== REGION_MAGIC) throw conmapError(ErrorCode.INVALID_HANDLE, 'the map names a metrics region that holds none')
  const rows = header[RH.ROWS] ?? 0
  const i32 = new Int32Array(buffer, 0, (at >>> 2) + 8 + rows * 2)
  return {
    buffer,
    i32,
    at,
    rows,
    hotKeys: header[RH.HOT] ?? 0,
    sample: header[RH.SAMPLE] ?? 1,
    cells: header[RH.CELLS] ?? 0,
    owners: new HolderSlots(i32, ownerTableWord(at), rows, registry),
  }
}

/** Row `row` of the region (row === rows: the overflow row). */
export function rowOf(region: Region, row: number): Float64Array {
  return new Float64Array(region.buffer, rowsByte(region.at, region.rows) + row * region.cells * 8, region.cells)
}

/** HeavyKeeper's decay base: a bucket of count c yields to another hash with probability DECAY^-c. */
const DECAY = 1.08
/**
 * DECAY^-c by count, computed once (Math.pow is a call into C on every sample).
 * Past the table the odds are below 2^-32 (1.08^-289), under the least non-zero
 * draw, so such a bucket never decays, as with the odds computed.
 */
const DECAY_ODDS = Float64Array.from({ length: 512 }, (_, count) => DECAY ** -count)

export class Recorder {
  readonly row: Float64Array
  /** Buckets of each of the summary's two arrays. */
  readonly #width: number
  readonly #sample: number
  /** Keyed calls until the next sample. */
  gap = 1
  /** The SharedMap object lock-wait messages name (channels.ts), set once the map is instrumented. */
  subject: object | undefined = undefined
  #random = (selfId * 0x9e3779b1) | 1

  constructor(region: Region) {
    this.row = rowOf(region, claimRow(region))
    this.#width = region.hotKeys
    this.#sample = region.sample
    this.gap = this.#nextGap()
  }

  count(cell: number): void {
    ;(this.row[cell] as number)++
  }

  /** A call of op that threw: outcome is an error outcome index (ops.ts). */
  fail(op: number, outcome: number): void {
    const row = this.row
    const tag = op * 64 + outcome + 1
    for (let slot = 0; slot < ERROR_SLOTS - 1; slot++) {
      const at = OP_CELLS + 2 * slot
      const seen = row[at] ?? 0
      if (seen === tag || seen === 0) {
        row[at] = tag
        ;(row[at + 1] as number)++
        return
      }
    }
    // More distinct (op, error) pairs than slots: the last pair counts them, untagged.
    ;(row[OP_CELLS + 2 * ERROR_SLOTS - 1] as number)++
  }

  retried(count: number): void {
    ;(this.row[RETRIES] as number) += count
  }

  /** A lock acquired without waiting. */
  acquired(mode: number): void {
    ;(this.row[WAIT + mode * WAIT_STRIDE] as number)++
  }

  /** A lock acquired after waiting since `from` (performance.now()). */
  waited(mode: number, from: number): void {
    const seconds = (performance.now() - from) / 1000
    const micros = seconds * 1e6
    const bucket = micros <= 1 ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log2(micros)))
    const at = WAIT + mode * WAIT_STRIDE
    ;(this.row[at + bucket] as number)++
    ;(this.row[at + BUCKETS] as number) += seconds
    if (lockWaits.hasSubscribers && this.subject !== undefined) lockWaits.publish({ map: this.subject, mode: mode === LockMode.read ? 'read' : 'write', seconds })
  }

  /**
   * Puts a sampled key's hash into the summary (HeavyKeeper): in each of the two
   * arrays, its bucket counts one more if it holds the hash or is empty; else it
   * decays by one with probability DECAY^-count, and the hash takes it when it reaches 0.
   */
  sampled(hash: number): void {
    this.gap = this.#nextGap()
    const row = this.row
    ;(row[SAMPLES] as number)++
    const width = this.#width
    const first = HOT + 2 * ((hash >>> 0) % width)
    // The second bucket from the product's high bits: its low bits depend on the
    // hash's low bits alone, so `% width` of them would put two hashes that share a
    // first bucket into a shared second one too (for a power-of-two width, always),
    // and a key behind a heavier one in the first array would have no array to hold
    // it. The high bits mix every bit of the hash; width·2^32 < 2^53 stays exact.
    const second = HOT + 2 * width + 2 * Math.floor(((Math.imul(hash, 0x9e3779b1) >>> 0) * width) / 0x100000000)
    this.#bump(first, hash)
    this.#bump(second, hash)
  }

  #bump(at: number, hash: number): void {
    const row = this.row
    const count = row[at + 1] ?? 0
    if (count === 0 || row[at] === hash) {
      row[at] = hash
      row[at + 1] = count + 1
      return
    }
    if (this.#draw() >= (count < DECAY_ODDS.length ? (DECAY_ODDS[count] as number) : 0)) return
    if (count > 1) row[at + 1] = count - 1
    else {
      row[at] = hash
      row[at + 1] = 1
    }
  }

  /** A uniform draw in [0, 1). */
  #draw(): number {
    let x = this.#random
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    this.#random = x
    return (x >>> 0) / 0x100000000
  }

  /** Keyed calls to the next sample; never, with no summary to feed (hashing a key is most of a sample's cost). */
  #nextGap(): number {
    if (this.#width === 0) return Infinity
    return this.#sample === 1 ? 1 : 1 + Math.floor(this.#draw() * (2 * this.#sample - 1))
  }
}

/**
 * This thread's row: its own from the owner table (a dead thread's freed row
 * included), else the shared overflow row, counted once in the header.
 */
function claimRow(region: Region): number {
  try {
    return region.owners.claim()
  } catch (err) {
    if (!(typeof err === 'object' && err !== null && (err as { code?: unknown }).code === ErrorCode.TOO_MANY_THREADS)) throw err
  }
  region.owners.reclaimDead()
  try {
    return region.owners.claim()
  } catch {
    // Every row is held by a live thread.
  }
  Atomics.add(region.i32, (region.at >>> 2) + RH.OVERFLOW, 1)
  return region.rows
}

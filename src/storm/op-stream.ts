/**
 * The seeded operation stream of one storm worker.
 *
 * A worker's stream is fixed by (seed, slot, generation): slot is the worker's place
 * among --workers, generation counts its respawns after kills. The same triple
 * always yields the same operations on the same keys writing the same values, so a
 * failing storm can be replayed with --seed. (What compare-ops expect, and what the
 * map answers, depend on timing and are recorded, not generated.)
 *
 * sfc32, seeded through splitmix32: small, fast, and good enough that streams of
 * neighbouring slots and seeds do not correlate.
 */
import { STORM_OPS, type Mix, type StormOp } from './mix.js'

/** 32-bit random numbers from a seed tuple. */
export class Random {
  #a: number
  #b: number
  #c: number
  #d: number

  constructor(...seeds: number[]) {
    let h = 0x9e3779b9
    for (const seed of seeds) h = splitmix32(h ^ splitmix32(seed >>> 0))
    this.#a = splitmix32(h)
    this.#b = splitmix32(this.#a ^ 0x6a09e667)
    this.#c = splitmix32(this.#b ^ 0xbb67ae85)
    this.#d = 1
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const t = (((this.#a + this.#b) | 0) + this.#d) | 0
    this.#d = (this.#d + 1) | 0
    this.#a = this.#b ^ (this.#b >>> 9)
    this.#b = (this.#c + (this.#c << 3)) | 0
    this.#c = (this.#c << 21) | (this.#c >>> 11)
    this.#c = (this.#c + t) | 0
    return t >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n)
  }
}

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
  return (z ^ (z >>> 16)) >>> 0
}

/** One step of a stream: the operation (index into STORM_OPS), its key index and its number. */
export interface StreamStep {
  readonly op: number
  readonly key: number
  readonly seq: number
}

export class OperationStream {
  /** Operation of the current step, as an index into STORM_OPS. */
  op = 0
  /** Key index of the current step, in [0, keys). */
  key = 0
  /** Number of the current step, from 0. */
  seq = -1
  readonly #random: Random
  readonly #keys: number
  /** Cumulative weights scaled to [0, 2^32): op i is picked when a draw falls below bounds[i]. */
  readonly #bounds: number[]
  readonly #ops: number[]

  constructor(seed: number, slot: number, generation: number, mix: Mix, keys: number) {
    this.#random = new Random(seed, slot, generation)
    this.#keys = keys
    const total = STORM_OPS.reduce((sum, op) => sum + mix[op], 0)
    this.#bounds = []
    this.#ops = []
    let cumulative = 0
    STORM_OPS.forEach((op, index) => {
      if (mix[op] <= 0) return
      cumulative += mix[op]
      this.#ops.push(index)
      this.#bounds.push((cumulative / total) * 0x100000000)
    })
    this.#bounds[this.#bounds.length - 1] = Infinity
  }

  /** Advances to the next step. */
  next(): void {
    const draw = this.#random.nextUint32()
    let i = 0
    while (draw >= (this.#bounds[i] as number)) i++
    this.op = this.#ops[i] as number
    this.key = this.#random.below(this.#keys)
    this.seq++
  }

  /** The next `count` steps, as data (for tests and replays). */
  take(count: number): Array<StreamStep & { readonly name: StormOp }> {
    const steps: Array<StreamStep & { readonly name: StormOp }> = []
    for (let i = 0; i < count; i++) {
      this.next()
      steps.push({ op: this.op, key: this.key, seq: this.seq, name: STORM_OPS[this.op] as StormOp })
    }
    return steps
  }
}

/**
 * Counters summed over every worker incarnation of a storm: operations, errors and
 * latency histograms. Incarnations that exited are folded in once (their regions
 * are then dropped, so a long storm with many kills keeps bounded memory); live
 * ones are added on the fly for progress reports.
 */
import { BUCKETS, percentiles } from './histogram.js'
import { STORM_OPS, type StormOp } from './mix.js'
import { COUNTED_CODES, OTHER_ERROR, WorkerRegion } from './region.js'

/** The errors key of failures that carry no conmap code (their names are in the samples). */
export const OTHER_ERRORS = 'other'

/** Latency of one operation, in microseconds. */
export interface LatencySummary {
  readonly count: number
  readonly p50: number
  readonly p99: number
  readonly p999: number
  readonly max: number
}

export class Totals {
  readonly #ops = new Float64Array(STORM_OPS.length)
  readonly #errors = new Float64Array(COUNTED_CODES.length + 1)
  readonly #max = new Float64Array(STORM_OPS.length)
  readonly #histogram = new Float64Array(STORM_OPS.length * BUCKETS)

  add(region: WorkerRegion): void {
    addInto(this.#ops, region.ops)
    addInto(this.#errors, region.errors)
    addInto(this.#histogram, region.histogram)
    for (let i = 0; i < this.#max.length; i++) this.#max[i] = Math.max(this.#max[i] ?? 0, region.maxLatency[i] ?? 0)
  }

  /** Operations done (answered or failed), this total plus the live regions. */
  progress(live: Iterable<WorkerRegion>): { ops: number; errors: number } {
    let ops = sum(this.#ops)
    let errors = sum(this.#errors)
    for (const region of live) {
      ops += region.totalOps()
      errors += region.totalErrors()
    }
    return { ops: ops + errors, errors }
  }

  opsByType(): Record<StormOp, number> {
    return Object.fromEntries(STORM_OPS.map((op, i) => [op, this.#ops[i] ?? 0])) as Record<StormOp, number>
  }

  /** Error counts by code; errors without a conmap code are counted together as OTHER_ERRORS. */
  errors(): Record<string, number> {
    const out: Record<string, number> = {}
    COUNTED_CODES.forEach((code, i) => {
      const count = this.#errors[i] ?? 0
      if (count > 0) out[code] = count
    })
    const other = this.#errors[OTHER_ERROR] ?? 0
    if (other > 0) out[OTHER_ERRORS] = other
    return out
  }

  latency(): Partial<Record<StormOp, LatencySummary>> {
    const out: Partial<Record<StormOp, LatencySummary>> = {}
    STORM_OPS.forEach((op, i) => {
      const count = this.#ops[i] ?? 0
      if (count === 0) return
      const [p50, p99, p999] = percentiles(this.#histogram, i * BUCKETS, [0.5, 0.99, 0.999]).map(micro)
      out[op] = { count, p50: p50 ?? 0, p99: p99 ?? 0, p999: p999 ?? 0, max: micro(this.#max[i] ?? 0) }
    })
    return out
  }
}

function addInto(into: Float64Array, from: Float64Array): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] ?? 0) + (from[i] ?? 0)
}

function sum(values: Float64Array): number {
  let total = 0
  for (const v of values) total += v
  return total
}

/** ns to µs, three significant digits. */
function micro(ns: number): number {
  return Number((ns / 1000).toPrecision(3))
}

/**
 * The engine of every multi-worker section: cases (a workload on a key count and
 * value kind, with its contenders and worker counts) measured in rounds. Within a
 * round, every worker count starts with a calibration window (pure arithmetic in that
 * many workers), then each case's contenders run one window each, in an order that
 * reverses every round so slow drift of the machine hits all of them alike. Rows
 * report medians over rounds; latency comes from the merged histograms of all
 * rounds. A window with a failed check, or a fixture failing its end-of-section
 * check, leaves an error and no number.
 */
import type { TransferListItem } from 'node:worker_threads'
import { isStrategy, labelOf } from './contenders.js'
import { fixtureId, Fixtures, type Fixture, type FixtureKey } from './fixtures.js'
import type { KeyOrder } from './keys.js'
import { runWorkers, type Launch } from './gate.js'
import type { Plan } from './plan.js'
import { PostMessageServer } from './postmessage-server.js'
import type { CalibrationRow, ContenderId, Latency, Section, ThroughputRow, ValueKind, Workload } from './result.js'
import { median, merge, newHistogram, percentile } from './stats.js'
import type { WindowResult } from './worker.js'

export interface Case {
  readonly id: string
  readonly workload: Workload
  readonly values: ValueKind
  readonly keys: number
  readonly keyOrder: KeyOrder
  readonly contenders: readonly ContenderId[]
  readonly workers: readonly number[]
  /** Shards per strategy, where the case fixes them (seed 000: 16). */
  readonly shards?: Partial<Record<ContenderId, number>>
}

export type Timing = Plan['throughput']
export type Progress = (text: string) => void

interface Cell {
  /** The fixture it ran against, whose end-of-section check it shares. */
  fixture?: string
  readonly samples: number[]
  readonly reads: Uint32Array
  readonly writes: Uint32Array
  error?: string
}

export async function runSection(name: string, cases: readonly Case[], timing: Timing, progress: Progress): Promise<Section> {
  const fixtures = new Fixtures()
  const cells = new Map<string, Cell>()
  const calibration = new Map<number, number[]>()
  const counts = [...new Set([1, ...cases.flatMap((c) => c.workers)])].sort((a, b) => a - b)
  const plan = schedule(cases, counts)
  let done = 0
  const total = timing.rounds * (counts.length + plan.length)
  for (let round = 0; round < timing.rounds; round++) {
    const order = round % 2 === 0 ? plan : [...plan].reverse()
    for (const workers of counts) {
      progress(`${name}: round ${round + 1}/${timing.rounds}, calibration at ${workers} worker(s) [${++done}/${total}]`)
      const samples = calibration.get(workers) ?? []
      samples.push(await calibrate(workers, timing))
      calibration.set(workers, samples)
      for (const step of order.filter((s) => s.group === workers)) {
        progress(`${name}: round ${round + 1}/${timing.rounds}, ${labelOf(step.contender)}, ${step.case.id}, ${workers} worker(s) [${++done}/${total}]`)
        const cell = cellOf(cells, step)
        if (cell.error !== undefined) continue
        try {
          const key = step.contender === 'map' ? undefined : fixtureKey(step)
          const fixture = key === undefined ? undefined : await fixtures.get(key)
          if (key !== undefined) cell.fixture = fixtureId(key)
          const results = await measure(step, fixture, timing)
          const misses = results.reduce((sum, r) => sum + r.misses, 0)
          if (misses > 0) throw new Error(`correctness check failed: ${misses} reads missed keys that are always present`)
          if (fixture !== undefined) fixture.updates += results.reduce((sum, r) => sum + r.updates, 0)
          cell.samples.push(results.reduce((sum, r) => sum + (r.ops * 1000) / r.elapsedMs, 0))
          for (const r of results) {
            merge(cell.reads, r.reads)
            merge(cell.writes, r.writes)
          }
        } catch (err) {
          cell.error = err instanceof Error ? err.message : String(err)
        }
      }
    }
  }
  progress(`${name}: checking every shared structure`)
  const failures = await fixtures.verifyAndClose()
  for (const cell of cells.values()) {
    const failure = cell.fixture === undefined ? undefined : failures.get(cell.fixture)
    if (failure !== undefined) cell.error ??= `end-of-section check failed: ${failure}`
  }
  return { calibration: calibrationRows(calibration), rows: rowsOf(cases, plan, cells) }
}

interface Step {
  readonly case: Case
  readonly contender: ContenderId
  readonly workers: number
  /** The worker count whose calibration it follows in a round. */
  readonly group: number
}

/**
 * Every (case, contender, worker count) to measure. The one-thread Map runs once per
 * round at the case's first worker count; 'none' runs its writing workloads on one
 * worker only (two writers are Go's 'concurrent map writes', detected by design).
 */
function schedule(cases: readonly Case[], counts: readonly number[]): Step[] {
  const steps: Step[] = []
  for (const workers of counts) {
    for (const c of cases) {
      if (!c.workers.includes(workers)) continue
      for (const contender of c.contenders) {
        if (contender === 'map' && workers !== c.workers[0]) continue
        if (contender === 'none' && workers > 1 && writes(c.workload)) continue
        steps.push({ case: c, contender, workers: contender === 'map' ? 1 : workers, group: workers })
      }
    }
  }
  return steps
}

function writes(workload: Workload): boolean {
  return workload.kind === 'mix' ? workload.readShare < 1 : workload.op !== 'get'
}

function fixtureKey(step: Step): FixtureKey {
  const shards = step.case.shards?.[step.contender]
  return {
    contender: step.contender,
    values: step.case.values,
    keys: step.case.keys,
    counters: step.case.workload.kind === 'op' && step.case.workload.op === 'update',
    ...(shards === undefined ? {} : { shards }),
  }
}

function cellKey(caseId: string, contender: ContenderId, workers: number): string {
  return `${caseId}|${contender}|${workers}`
}

function cellOf(cells: Map<string, Cell>, step: Step): Cell {
  const key = cellKey(step.case.id, step.contender, step.workers)
  let cell = cells.get(key)
  if (cell === undefined) {
    cell = { samples: [], reads: newHistogram(), writes: newHistogram() }
    cells.set(key, cell)
  }
  return cell
}

async function calibrate(workers: number, timing: Timing): Promise<number> {
  const launches = Array.from({ length: workers }, () => ({ job: { type: 'calibrate' as const, windowMs: timing.windowMs, warmupMs: timing.warmupMs } }))
  const results = await runWorkers<{ ops: number; elapsedMs: number }>(launches, timing.windowMs + timing.warmupMs)
  return results.reduce((sum, r) => sum + (r.ops * 1000) / r.elapsedMs, 0)
}

async function measure(step: Step, fixture: Fixture | undefined, timing: Timing): Promise<WindowResult[]> {
  const { workload, values, keys, keyOrder } = step.case
  const { windowMs, warmupMs, maxWarmupMs } = timing
  const budget = windowMs + maxWarmupMs
  if (fixture?.target instanceof PostMessageServer) {
    if (workload.kind !== 'mix') throw new Error('the postMessage baseline runs mixes only')
    const server = fixture.target
    const launches: Launch[] = Array.from({ length: step.workers }, (_, index) => {
      const port = server.connect()
      const transfer: TransferListItem[] = [port]
      return { job: { type: 'postmessage', port, values, keys, keyOrder, readShare: workload.readShare, index, workers: step.workers, windowMs, warmupMs, maxWarmupMs }, transfer }
    })
    try {
      return await runWorkers<WindowResult>(launches, budget)
    } finally {
      server.disconnect()
    }
  }
  const target = fixture === undefined ? ({ kind: 'map-reference' } as const) : (fixture.target as Exclude<Fixture['target'], PostMessageServer>)
  const launches: Launch[] = Array.from({ length: step.workers }, (_, index) => ({
    job: { type: 'window', target, values, keys, keyOrder, workload, index, workers: step.workers, windowMs, warmupMs, maxWarmupMs },
  }))
  return runWorkers<WindowResult>(launches, budget)
}

/**
 * Scaling is the median over rounds of each round's N-worker figure over the same
 * round's 1-worker one: the machine's capacity drifts between rounds, and a ratio of
 * medians taken at different moments can show more than N cores.
 */
function calibrationRows(calibration: Map<number, number[]>): CalibrationRow[] {
  const one = calibration.get(1) ?? []
  return [...calibration.entries()].map(([workers, samples]) => ({
    workers,
    opsPerSec: median(samples),
    scaling: median(samples.map((s, round) => s / (one[round] ?? NaN))),
    samples,
  }))
}

function rowsOf(cases: readonly Case[], plan: readonly Step[], cells: Map<string, Cell>): ThroughputRow[] {
  return cases.flatMap((c) => {
    const steps = plan.filter((s) => s.case === c)
    const opsOf = (contender: ContenderId, workers: number): number | null => {
      const cell = cells.get(cellKey(c.id, contender, workers))
      return cell === undefined || cell.error !== undefined || cell.samples.length === 0 ? null : median(cell.samples)
    }
    const reference = opsOf('map', 1)
    return steps.map((step): ThroughputRow => {
      const cell = cells.get(cellKey(c.id, step.contender, step.workers))
      const ops = opsOf(step.contender, step.workers)
      const alone = step.workers === 1 ? null : opsOf(step.contender, 1)
      const all = newHistogram()
      if (cell !== undefined) {
        merge(all, cell.reads)
        merge(all, cell.writes)
      }
      return {
        case: c.id,
        contender: step.contender,
        label: labelOf(step.contender) + (isStrategy(step.contender) && c.shards?.[step.contender] !== undefined ? ` (${c.shards[step.contender]} shards)` : ''),
        workload: c.workload,
        values: c.values,
        keys: c.keys,
        keyOrder: c.keyOrder,
        workers: step.workers,
        opsPerSec: ops,
        samples: cell?.samples ?? [],
        ratioToMap: ops === null || reference === null ? null : ops / reference,
        scalingVs1: ops === null || alone === null ? null : ops / alone,
        latency: { all: latencyOf(all, ops), read: latencyOf(cell?.reads, ops), write: latencyOf(cell?.writes, ops) },
        ...(cell?.error === undefined ? {} : { error: cell.error }),
      }
    })
  })
}

function latencyOf(histogram: Uint32Array | undefined, ops: number | null): Latency {
  if (histogram === undefined || ops === null) return { p50Ns: null, p99Ns: null }
  return { p50Ns: percentile(histogram, 0.5), p99Ns: percentile(histogram, 0.99) }
}

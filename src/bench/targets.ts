/**
 * The project's targets for 'optimistic', evaluated on a run's figures: against a
 * plain Map (one thread; two workers against one thread), against the peers, and
 * read scaling. Each is taken on uniform keys, 100k of them (the Zipf figures are in
 * the tables beside them). Target 1's get is reported twice, the value discarded and
 * the value used (passes.ts says why), neither standing in for the other. A target
 * whose figures are missing (a peer not installed, a failed check) is reported as not
 * met with the reason, never guessed.
 *
 * They are the developers' yardstick, printed by `npm run bench` (bench/run.ts) and
 * in BENCHMARKS.md, never by `conmap bench`: a user asks how conmap compares on
 * their machine, not whether it reached a goal set while building it.
 */
import { table } from '../cli/terminal.js'
import { indent, times } from './format.js'
import { GUARD_OPS, type GuardOp, type GuardVariant } from './guard-loops.js'
import { PLANS } from './plan.js'
import type { BenchResult, ContenderId, GuardSection, PassOp, Target, ThroughputRow, ValueKind } from './result.js'

type Figures = Pick<BenchResult, 'mode' | 'singleThread' | 'throughput' | 'operations'>

/** The plan is the run's own (its mode's), so a result read back from JSON evaluates as it ran. */
export function evaluateTargets(figures: Figures): Target[] {
  const plan = PLANS[figures.mode]
  const single = (op: PassOp, values: ValueKind) =>
    figures.singleThread.rows.find((r) => r.contender === 'optimistic' && r.op === op && r.values === values && r.keys === plan.singleThread.keys)?.ratioToMap ?? null
  const mixRow = (contender: ContenderId, workers: number, values: ValueKind): ThroughputRow | undefined =>
    figures.throughput.rows.find(
      (r) => r.contender === contender && r.workers === workers && r.values === values && r.keys === plan.keys && r.keyOrder === 'uniform' && r.workload.kind === 'mix' && r.workload.readShare === 0.9,
    )
  const optimistic2 = mixRow('optimistic', 2, 'string')?.opsPerSec ?? null
  const over = (contender: ContenderId) => {
    const other = mixRow(contender, 2, 'string')?.opsPerSec ?? null
    return optimistic2 === null || other === null ? null : optimistic2 / other
  }
  const reads = (workers: number) => figures.operations.rows.find((r) => r.contender === 'optimistic' && r.workers === workers && r.workload.kind === 'op' && r.workload.op === 'get')
  const reads1 = reads(1)?.opsPerSec ?? null
  const reads2 = reads(2)?.opsPerSec ?? null
  const readScaling = reads1 === null || reads2 === null ? null : reads2 / reads1
  const machine2 = figures.operations.calibration.find((c) => c.workers === 2)?.scaling
  const beside = machine2 === undefined ? '' : ` (machine: ${machine2.toFixed(2)}x)`
  const atMost = (id: string, name: string, limit: number, value: number | null): Target => ({
    id,
    name,
    target: `<= ${limit}x`,
    value,
    reached: value === null ? 'not measured' : `${precise(value, limit)}x`,
    met: value !== null && value <= limit,
  })
  const atLeast = (id: string, name: string, limit: number, value: number | null, note = ''): Target => ({
    id,
    name,
    target: `>= ${limit}x`,
    value,
    reached: value === null ? 'not measured' : `${precise(value, limit)}x${note}`,
    met: value !== null && value >= limit,
  })
  return [
    atMost('get-vs-map', 'get vs Map.get, one thread, string values', 2, single('get', 'string')),
    atMost('get-object-vs-map', 'get vs Map.get, one thread, small objects', 2.5, single('get', 'object')),
    atMost('get-used-vs-map', 'get vs Map.get, value used, string values', 2, single('get-used', 'string')),
    atMost('get-used-object-vs-map', 'get vs Map.get, value used, small objects', 2.5, single('get-used', 'object')),
    atMost('has-vs-map', 'has vs Map.has, one thread', 1.5, single('has', 'string')),
    atMost('set-vs-map', 'set vs Map.set, one thread', 2.5, single('set', 'string')),
    atLeast('mix-vs-map', '2 workers 90/10 vs one-thread Map, strings', 1, mixRow('optimistic', 2, 'string')?.ratioToMap ?? null),
    atLeast('mix-object-vs-map', '2 workers 90/10 vs one-thread Map, small objects', 1, mixRow('optimistic', 2, 'object')?.ratioToMap ?? null),
    atLeast('get-only-vs-map', '2 workers get only vs one-thread Map', 1.2, reads(2)?.ratioToMap ?? null, beside),
    atLeast('mix-vs-sharedmap', '2 workers 90/10 vs sharedmap (2 workers)', 4, over('sharedmap')),
    atLeast('mix-vs-lmdb', '2 workers 90/10 vs lmdb (2 workers)', 5, over('lmdb')),
    atLeast('mix-vs-postmessage', '2 workers 90/10 vs postMessage (2 workers)', 40, over('postmessage')),
    atLeast('read-scaling', 'read scaling: 2 workers vs 1, get only', 1.85, readScaling, beside),
  ]
}

export const TARGETS_HEADING = "Targets for 'optimistic'"

/** The targets as the developer's table: each figure beside what was wanted, met or NOT MET. */
export function renderTargets(targets: readonly Target[]): string {
  return `${TARGETS_HEADING}\n${indent(table(['target', 'wanted', 'reached', ''], targets.map((t) => [t.name, t.target, t.reached, t.met ? 'met' : 'NOT MET'])))}\n`
}

/** Two decimals, or three where two would round a miss onto the limit (4.996 is not 5.00). */
function precise(value: number, limit: number): string {
  const two = value.toFixed(2)
  return Number(two) === limit && value !== limit ? value.toFixed(3) : two
}

/** Issue 12's aim for guard() and `metrics: true`: a call within 10% of the bare map's. */
export const COST_AIM = 1.1

export const COST_AIMS_HEADING = `Cost of guard() and metrics: true, one thread (aim: within ${COST_AIM.toFixed(2)}x of the bare map)`

/** One guard-section variant against the aim, per operation: its ratio, and whether it is within. */
export interface CostAim {
  readonly variant: GuardVariant
  readonly label: string
  readonly ops: Readonly<Record<GuardOp, { readonly value: number | null; readonly met: boolean }>>
}

/** Every variant of the guard section but the bare map's own noise floor. */
export function evaluateCostAims(guard: GuardSection): CostAim[] {
  return guard.rows
    .filter((r) => r.variant !== 'bare')
    .map((r) => {
      const ops = {} as Record<GuardOp, { value: number | null; met: boolean }>
      for (const op of GUARD_OPS) {
        const value = r.error === undefined ? r.ratio[op] : null
        ops[op] = { value, met: value !== null && value <= COST_AIM }
      }
      return { variant: r.variant, label: r.label, ops }
    })
}

/** The aims as the developer's table: each ratio with met or NOT MET beside it. */
export function renderCostAims(aims: readonly CostAim[]): string {
  const cell = (a: CostAim, op: GuardOp) => `${times(a.ops[op].value)} ${a.ops[op].met ? 'met' : 'NOT MET'}`
  return `${COST_AIMS_HEADING}\n${indent(table(['variant', ...GUARD_OPS], aims.map((a) => [a.label, ...GUARD_OPS.map((op) => cell(a, op))])))}\n`
}

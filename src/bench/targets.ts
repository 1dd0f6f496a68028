/**
 * The targets of issues 3 and 5 for 'optimistic', evaluated on this run's figures.
 * A target whose figures are missing (a peer not installed, a failed check) is
 * reported as not met with the reason, never guessed.
 */
import type { Plan } from './plan.js'
import type { BenchResult, ContenderId, Target, ThroughputRow } from './result.js'

type Figures = Pick<BenchResult, 'singleThread' | 'throughput' | 'operations'>

export function evaluateTargets(figures: Figures, plan: Plan): Target[] {
  const single = (op: string) => figures.singleThread.rows.find((r) => r.contender === 'optimistic' && r.op === op && r.values === 'string' && r.keys === plan.singleThread.keys)?.ratioToMap ?? null
  const mixRow = (contender: ContenderId, workers: number): ThroughputRow | undefined =>
    figures.throughput.rows.find((r) => r.contender === contender && r.workers === workers && r.values === 'string' && r.keys === plan.keys && r.workload.kind === 'mix' && r.workload.readShare === 0.9)
  const optimistic2 = mixRow('optimistic', 2)?.opsPerSec ?? null
  const over = (contender: ContenderId) => {
    const other = mixRow(contender, 2)?.opsPerSec ?? null
    return optimistic2 === null || other === null ? null : optimistic2 / other
  }
  const reads = (workers: number) => figures.operations.rows.find((r) => r.contender === 'optimistic' && r.workers === workers && r.workload.kind === 'op' && r.workload.op === 'get')?.opsPerSec ?? null
  const reads1 = reads(1)
  const reads2 = reads(2)
  const readScaling = reads1 === null || reads2 === null ? null : reads2 / reads1
  const machine2 = figures.operations.calibration.find((c) => c.workers === 2)?.scaling
  const atMost = (id: string, name: string, limit: number, value: number | null): Target => ({
    id,
    name,
    target: `<= ${limit}x`,
    value,
    reached: value === null ? 'not measured' : `${precise(value, limit)}x`,
    met: value !== null && value <= limit,
  })
  const atLeast = (id: string, name: string, limit: number, value: number | null, beside = ''): Target => ({
    id,
    name,
    target: `>= ${limit}x`,
    value,
    reached: value === null ? 'not measured' : `${precise(value, limit)}x${beside}`,
    met: value !== null && value >= limit,
  })
  return [
    atMost('get-vs-map', 'get vs Map.get, one thread', 3, single('get')),
    atMost('set-vs-map', 'set vs Map.set, one thread (issue 3)', 4, single('set')),
    atLeast('mix-vs-map', '2 workers 90/10 vs one-thread Map', 1.6, mixRow('optimistic', 2)?.ratioToMap ?? null),
    atLeast('mix-vs-sharedmap', '2 workers 90/10 vs sharedmap (2 workers)', 4, over('sharedmap')),
    atLeast('mix-vs-lmdb', '2 workers 90/10 vs lmdb (2 workers)', 5, over('lmdb')),
    atLeast('mix-vs-postmessage', '2 workers 90/10 vs postMessage (2 workers)', 40, over('postmessage')),
    atLeast('read-scaling', '2 workers vs 1, get only (issue 3)', 1.85, readScaling, machine2 === undefined ? '' : ` (machine: ${machine2.toFixed(2)}x)`),
  ]
}

/** Two decimals, or three where two would round a miss onto the limit (4.996 is not 5.00). */
function precise(value: number, limit: number): string {
  const two = value.toFixed(2)
  return Number(two) === limit && value !== limit ? value.toFixed(3) : two
}

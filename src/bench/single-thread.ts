/**
 * Single-thread section: ns per set/get/has/update/delete of every contender, each
 * in a fresh worker per round (passes.ts), contenders alternating order between
 * rounds; medians over rounds, as ratios to a plain Map at the same key count and
 * values.
 */
import { freshTarget } from './adapters.js'
import { labelOf } from './contenders.js'
import { runWorkers } from './gate.js'
import { PASS_OPS, type PassesResult } from './passes.js'
import type { Plan } from './plan.js'
import type { ContenderId, PassOp, SingleThreadRow, ValueKind } from './result.js'
import type { Progress } from './section.js'
import { median } from './stats.js'

export interface SingleThreadSet {
  readonly keys: number
  readonly values: ValueKind
  readonly contenders: readonly ContenderId[]
  readonly rounds: number
}

/** Found by this benchmark's checks: not measured, since the structure breaks. */
export const OBJECTBUFFER_DELETE =
  "not measured: @bnaya/objectbuffer 0.10.1 corrupts its object when keys are deleted out of order (after `delete o.k2; delete o.k1`, Object.keys(o) throws 'ownKeys ... duplicate entries')"

export async function runSingleThread(sets: readonly SingleThreadSet[], plan: Plan, progress: Progress): Promise<SingleThreadRow[]> {
  const rows: SingleThreadRow[] = []
  for (const set of sets) {
    const results = new Map<ContenderId, PassesResult[]>()
    const errors = new Map<ContenderId, string>()
    for (let round = 0; round < set.rounds; round++) {
      const order = round % 2 === 0 ? set.contenders : [...set.contenders].reverse()
      for (const contender of order) {
        if (errors.has(contender)) continue
        progress(`single thread, ${set.keys} keys, ${set.values} values: round ${round + 1}/${set.rounds}, ${labelOf(contender)}`)
        try {
          const job = {
            type: 'passes' as const,
            target: freshTarget(contender, set.keys),
            values: set.values,
            keys: set.keys,
            opsPerPass: plan.singleThread.opsPerPass,
            warmupOps: plan.singleThread.warmupOps,
            deletes: contender !== 'objectbuffer',
          }
          const [result] = await runWorkers<PassesResult>([{ job }], 60_000)
          results.set(contender, [...(results.get(contender) ?? []), result as PassesResult])
        } catch (err) {
          errors.set(contender, err instanceof Error ? err.message : String(err))
        }
      }
    }
    const nsOf = (contender: ContenderId, op: PassOp) => {
      const runs = results.get(contender)
      const measured = (runs ?? []).map((r) => r.nsPerOp[op]).filter((ns): ns is number => ns !== null)
      return measured.length === 0 || errors.has(contender) ? null : median(measured)
    }
    for (const contender of set.contenders) {
      const error = errors.get(contender)
      for (const op of PASS_OPS) {
        const ns = nsOf(contender, op)
        const reference = nsOf('map', op)
        rows.push({
          contender,
          label: labelOf(contender),
          values: set.values,
          keys: set.keys,
          op,
          nsPerOp: ns,
          ratioToMap: ns === null || reference === null ? null : ns / reference,
          samples: (results.get(contender) ?? []).flatMap((r) => r.nsPerOp[op] ?? []),
          ...(contender === 'objectbuffer' && op === 'delete' ? { note: OBJECTBUFFER_DELETE } : {}),
          ...(error === undefined ? {} : { error }),
        })
      }
    }
  }
  return rows
}

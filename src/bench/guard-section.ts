/**
 * The guard section (issue 12): ns per get and set through guard() against the bare
 * SharedMap, one variant at a time adding a part (guard-loops.ts). Each round runs
 * every variant in a fresh worker beside a bare map of its own, the order reversed
 * every round; a row's ratio is the median over rounds of the worker's ratio.
 */
import { runWorkers } from './gate.js'
import { GUARD_OPS, GUARD_VARIANTS, VARIANTS, type GuardCostJob, type GuardCostResult, type GuardOp, type GuardVariant } from './guard-loops.js'
import type { GuardPlan } from './plan.js'
import type { GuardRow, GuardSection } from './result.js'
import type { Progress } from './section.js'
import { median } from './stats.js'

export async function runGuardSection(plan: GuardPlan, progress: Progress): Promise<GuardSection> {
  const rounds = new Map<GuardVariant, (GuardCostResult | undefined)[]>(GUARD_VARIANTS.map((v) => [v, []]))
  const errors = new Map<GuardVariant, string>()
  for (let round = 0; round < plan.rounds; round++) {
    const order = round % 2 === 0 ? GUARD_VARIANTS : [...GUARD_VARIANTS].reverse()
    for (const variant of order) {
      if (errors.has(variant)) continue
      progress(`guard: round ${round + 1}/${plan.rounds}, ${VARIANTS[variant].label}`)
      try {
        const job: GuardCostJob = { type: 'guard-cost', variant, keys: plan.keys, opsPerPass: plan.opsPerPass, passes: plan.passes }
        const [result] = await runWorkers<GuardCostResult>([{ job }], 60_000)
        if (result === undefined) throw new Error('the guard cost worker returned nothing')
        const mine = rounds.get(variant) ?? []
        mine[round] = result
        rounds.set(variant, mine)
      } catch (err) {
        errors.set(variant, err instanceof Error ? err.message : String(err))
      }
    }
  }
  const rows = GUARD_VARIANTS.map((variant): GuardRow => {
    const mine = rounds.get(variant) ?? []
    const error = errors.get(variant)
    const ns = {} as Record<GuardOp, number | null>
    const ratio = {} as Record<GuardOp, number | null>
    for (const op of GUARD_OPS) {
      const own = mine.flatMap((r) => (r === undefined ? [] : [r.ns[op]]))
      const over = mine.flatMap((r) => (r === undefined ? [] : [r.ratio[op]]))
      ns[op] = error !== undefined || own.length === 0 ? null : median(own)
      ratio[op] = error !== undefined || over.length === 0 ? null : median(over)
    }
    return { variant, label: VARIANTS[variant].label, keys: plan.keys, ns, ratio, samples: mine.flatMap((r) => (r === undefined ? [] : [r.ns])), ...(error === undefined ? {} : { error }) }
  })
  return { rows, notes: notes(plan) }
}

function notes(plan: GuardPlan): string[] {
  return [
    `Guard cost: one thread, ${plan.keys.toLocaleString('en-US')} keys set, then ${plan.passes} timed passes (after 2 for warm-up) of ${plan.opsPerPass.toLocaleString('en-US')} gets over a seeded uniform order of them (keys read before, not written since: the map's read cache answers, so the wrapper's share is at its largest), then as many has and set passes; a figure is the median pass. Each variant runs in a fresh worker once per round (${plan.rounds} round${plan.rounds === 1 ? '' : 's'}, the order reversed every round) beside a bare map with loops of its own, each of its passes right after the same pass on the bare map; a worker's ratio is the median of its passes' ratios, a row's the median over rounds (the bare row: the bare map against another bare map, the noise floor).`,
    'The variants add one part at a time: the wrapper with no option (no timeout, no breaker, no log), a timeout and a breaker with the count rule (failures: 5), with the rate rule (failureRate: 0.5: every call is counted in the shared window), and an audit log (an entry in shared memory per call: a time, a key hash and a seqlocked slot). The metrics rows are a map made with metrics: true, unguarded (each call counted in the thread\'s row in shared memory, one keyed call in 32 sampled for hot keys), with number values and with small objects { id, gen, name, tags, score } (their bare map holds the same objects), and the metrics counts must equal the calls made.',
  ]
}

export function guardOk(section: GuardSection): boolean {
  return section.rows.every((r) => r.error === undefined)
}

/**
 * The cache section as text: hit ratios by trace and policy, hit ratios across
 * threads by worker count, and the cost of ttl and bounds; in the table of a whole
 * run and alone (`conmap bench --only cache`).
 */
import { table } from '../cli/terminal.js'
import { COST_OPS } from './cache-loops.js'
import { describeShortly } from './machine.js'
import { formatNs, indent, times } from './format.js'
import type { CacheBenchResult, CacheSection, ComputeRow, CrossThreadRow, HitRatioRow } from './result.js'

export function renderCacheSection(section: CacheSection): string[] {
  const out: string[] = []
  const first = section.hitRatio[0]
  out.push(`Cache: hit ratio, one thread (cache-aside: get, and set on a miss; ${first === undefined ? '' : `${first.requests.toLocaleString('en-US')} requests per trace, `}hits / requests)`)
  const contenders = [...new Set(section.hitRatio.map((r) => r.contender))]
  const header = contenders.map((c) => section.hitRatio.find((r) => r.contender === c && r.error === undefined)?.label ?? c)
  const cases = [...new Set(section.hitRatio.map((r) => r.case))]
  const body = cases.map((id) => [id, ...contenders.map((c) => ratioCell(section.hitRatio.find((r) => r.case === id && r.contender === c)))])
  out.push(indent(table(['trace, capacity', ...header], body)))
  out.push('')

  const workers = [...new Set(section.crossThread.map((r) => r.workers))].sort((a, b) => a - b)
  const kinds = [...new Set(section.crossThread.map((r) => r.contender))]
  const cross = section.crossThread[0]
  out.push(`Cache across threads: hit ratio of N workers, each its own Zipf stream over the same keys${cross === undefined ? '' : ` (${cross.requestsPerWorker.toLocaleString('en-US')} requests each, cache ${cross.capacity.toLocaleString('en-US')} entries)`}`)
  const crossBody = kinds.map((kind) => {
    const rows = section.crossThread.filter((r) => r.contender === kind)
    return [rows[0]?.label ?? kind, ...workers.map((w) => ratioCell(rows.find((r) => r.workers === w)))]
  })
  out.push(indent(table(['cache', ...workers.map((w) => `${w} worker${w === 1 ? '' : 's'}`)], crossBody)))
  out.push('')

  out.push(...renderCompute(section.compute))
  out.push('')

  const keys = section.cost[0]?.keys
  out.push(`Cache cost, one thread: ns per operation on present keys${keys === undefined ? '' : `, ${keys.toLocaleString('en-US')} keys`} (x the reference, in the same rounds)`)
  const costBody = section.cost.map((r) => [
    r.label,
    ...COST_OPS.map((op) => (r.error !== undefined ? 'FAILED' : `${formatNs(r.ns[op])} (${times(r.ratio[op])})`)),
    r.reference === 'plain' ? 'new SharedMap({})' : 'lru-cache, no ttl',
  ])
  out.push(indent(table(['contender', ...COST_OPS, 'reference'], costBody)))
  out.push('')
  out.push('  Cache notes')
  for (const note of section.notes) out.push(`  - ${note}`)
  return out
}

export function renderCacheReport(result: CacheBenchResult): string {
  const out = [`conmap bench --only cache (${result.mode}), ${result.seconds} s: ${result.command}`, `machine: ${describeShortly(result.machine)}`, '', ...renderCacheSection(result.cache)]
  const failed = [...result.cache.hitRatio, ...result.cache.crossThread, ...result.cache.compute, ...result.cache.cost].filter((r) => r.error !== undefined)
  if (failed.length > 0) out.push('', 'FAILED measurements (no figure reported):', ...failed.map((r) => `  ${r.label}: ${r.error ?? ''}`))
  return `${out.join('\n')}\n`
}

function ratioCell(row: HitRatioRow | CrossThreadRow | undefined): string {
  if (row === undefined) return '-'
  return row.error !== undefined || row.hitRatio === null ? 'FAILED' : row.hitRatio.toFixed(4)
}

function renderCompute(rows: readonly ComputeRow[]): string[] {
  const first = rows[0]
  const heading = `Cache duplicate work: factory runs of N workers${first === undefined ? '' : ` x ${first.tasksPerWorker} async tasks, ${first.requestsPerWorker.toLocaleString('en-US')} requests each, a miss a ${first.delayMs} ms fetch`} (lower is better)`
  const count = (n: number | null) => (n === null ? '-' : n.toLocaleString('en-US'))
  const body = rows.map((r) =>
    r.error !== undefined
      ? [r.label, String(r.workers), count(r.capacity), 'FAILED', count(r.distinctKeys), '-', '-', '-', '-', '-']
      : [r.label, String(r.workers), count(r.capacity), count(r.computations), count(r.distinctKeys), count(r.beyondOnePerKey), count(r.overlapping), count(r.joins), times(r.ratioToPrivate), r.wallMs === null ? '-' : `${r.wallMs.toFixed(0)} ms`],
  )
  return [heading, indent(table(['cache', 'workers', 'entries', 'computations', 'distinct keys', 'beyond one per key', 'overlapping', 'joins', 'x private', 'wall'], body))]
}

/**
 * The human-readable form of a result: the machine and calibration first (every
 * scaling figure is read against them), then one table per section, the Go
 * article's RWMutex-vs-sharded comparison, the cache and guard sections, lock waits and hot
 * keys, and the notes. The
 * project's targets are not here: they are the developers' (targets.ts, printed by
 * `npm run bench`).
 */
import { formatRate, table } from '../cli/terminal.js'
import { renderCacheSection } from './cache-report.js'
import { renderContentionSection } from './contention.js'
import { renderGuardSection } from './guard-report.js'
import { renderRedisSection } from './redis-report.js'
import { describeShortly } from './machine.js'
import type { BenchResult, CalibrationRow, Section, ThroughputRow } from './result.js'
import { formatNs, indent, shortCount, times } from './format.js'
import { PASS_LABELS, PASS_OPS } from './passes.js'

function calibrationLine(rows: readonly CalibrationRow[]): string {
  return rows
    .filter((c) => c.workers > 1)
    .map((c) => `${c.workers} workers ${c.scaling.toFixed(2)}x`)
    .join(', ')
}

export function renderReport(result: BenchResult): string {
  const out: string[] = []
  const { machine } = result
  out.push(`conmap bench (${result.mode}), ${result.seconds} s: ${result.command}`)
  out.push(`machine: ${describeShortly(machine)}, ${machine.totalMemoryGiB} GiB; timer floor ${machine.timerFloorNs} ns`)
  out.push(`peers: ${result.peers.map((p) => (p.available ? `${p.name} ${p.version ?? ''}`.trim() : `${p.name} (not installed)`)).join(', ')}`)
  out.push('')

  out.push('Single thread: ns per operation (x Map: lower is better); keys precomputed, the same string objects on every call')
  const groups = [...new Set(result.singleThread.rows.map((r) => `${r.keys}|${r.values}`))]
  for (const group of groups) {
    const rows = result.singleThread.rows.filter((r) => `${r.keys}|${r.values}` === group)
    const first = rows[0]
    if (first === undefined) continue
    const contenders = [...new Set(rows.map((r) => r.label))]
    out.push(`  ${shortCount(first.keys)} keys, ${first.values} values`)
    const body = contenders.map((label) => [
      label,
      ...PASS_OPS.map((op) => {
        const row = rows.find((r) => r.label === label && r.op === op)
        if (row?.error !== undefined) return 'FAILED'
        if (row?.note !== undefined) return 'n/a (see notes)'
        return row === undefined ? '-' : `${formatNs(row.nsPerOp)} (${times(row.ratioToMap)})`
      }),
    ])
    out.push(indent(table(['contender', ...PASS_OPS.map((op) => PASS_LABELS[op])], body)))
  }
  out.push('')
  out.push('Memory per entry: N entries set into a new structure in a fresh process, after GC')
  out.push(
    indent(
      table(
        ['contender', 'keys', 'values', 'shared/mapped', 'JS heap', 'process RSS'],
        result.singleThread.memory.map((m) =>
          m.error !== undefined ? [m.label, shortCount(m.keys), m.values, 'FAILED', '', ''] : [m.label, shortCount(m.keys), m.values, bytes(m.sharedBytesPerEntry), bytes(m.heapBytesPerEntry), bytes(m.rssBytesPerEntry)],
        ),
      ),
    ),
  )
  out.push('')

  out.push(`Workers: operations per second (x one-thread Map: higher is better)`)
  out.push(`  calibration, pure arithmetic in the same section: ${calibrationLine(result.throughput.calibration)}`)
  out.push(...sectionTables(result.throughput))
  out.push('')
  out.push('Each operation alone, by strategy: ops/s (at 1 worker: x Map; above: x the same contender at 1 worker) and p99')
  out.push(`  calibration: ${calibrationLine(result.operations.calibration)}`)
  out.push(...sectionTables(result.operations, true))
  out.push('')

  const seed = result.seed000
  out.push(`One RWMutex vs 16 sharded RW locks, ${seed.seed.keys} keys, 90% reads: a Go article's benchmark (its figures on the first line), rerun with conmap`)
  out.push(`  calibration: ${calibrationLine(seed.calibration)}`)
  const seedRows: string[][] = [
    ['Go (article)', '-', `${formatRate(seed.seed.qps.rwmutex)} / ${seed.seed.p99Ms.rwmutex} ms`, `${formatRate(seed.seed.qps.sharded)} / ${seed.seed.p99Ms.sharded} ms`, '-', times(seed.seed.qps.sharded / seed.seed.qps.rwmutex), times(seed.seed.p99Ms.rwmutex / seed.seed.p99Ms.sharded)],
    ...seed.comparison.map((c) => [
      'conmap',
      String(c.workers),
      qpsP99(c.qps.rwmutex, c.p99Ms.rwmutex),
      qpsP99(c.qps.sharded, c.p99Ms.sharded),
      qpsP99(c.qps.optimistic, c.p99Ms.optimistic),
      times(c.shardedOverGlobalQps),
      times(c.globalOverShardedP99),
    ]),
  ]
  out.push(indent(table(['', 'workers', 'rwmutex QPS / P99', 'sharded(16) QPS / P99', 'optimistic QPS / P99', 'QPS sharded/global', 'P99 global/sharded'], seedRows)))
  out.push('  every contender on the same 1,000 keys:')
  out.push(...sectionTables({ calibration: [], rows: seed.rows }).slice(1))
  out.push('')

  out.push(...renderCacheSection(result.cache))
  out.push('')
  out.push(...renderGuardSection(result.guard))
  out.push('')
  out.push(...renderContentionSection(result.contention))
  out.push('')
  out.push(...renderRedisSection(result.redis))
  out.push('')

  const { hitRatio, crossThread, compute, cost } = result.cache
  const failed = [...result.singleThread.rows, ...result.singleThread.memory, ...result.throughput.rows, ...result.operations.rows, ...seed.rows, ...hitRatio, ...crossThread, ...compute, ...cost, ...result.guard.rows, ...result.contention.rows, ...result.redis.rows.map((r) => ({ ...r, label: `${r.op} ${r.callers} ${r.label}` }))].filter((r) => r.error !== undefined)
  if (failed.length > 0) {
    out.push('FAILED measurements (no figure reported):')
    const seen = new Set<string>()
    for (const row of failed) {
      const line = `  ${row.label}: ${row.error ?? ''}`
      if (!seen.has(line)) out.push(line)
      seen.add(line)
    }
    out.push('')
  }
  out.push('Notes')
  for (const note of [...result.notes, ...result.peers.filter((p) => p.available).map((p) => `${p.name}: ${p.note}.`)]) out.push(`  - ${note}`)
  return `${out.join('\n')}\n`
}

/** One table per case: contenders down, worker counts across; then p50/p99 across. */
function sectionTables(section: Section, scaling = false): string[] {
  const out: string[] = []
  const cases = [...new Set(section.rows.map((r) => r.case))]
  for (const id of cases) {
    const rows = section.rows.filter((r) => r.case === id)
    const counts = [...new Set(rows.map((r) => r.workers))].sort((a, b) => a - b)
    const labels = [...new Set(rows.map((r) => r.label))]
    const cell = (label: string, workers: number, show: (r: ThroughputRow) => string) => {
      const row = rows.find((r) => r.label === label && r.workers === workers)
      if (row === undefined) return ''
      return row.error !== undefined ? 'FAILED' : show(row)
    }
    out.push(`  ${id}`)
    const rate = (r: ThroughputRow) =>
      `${r.opsPerSec === null ? '-' : formatRate(r.opsPerSec)} (${times(scaling ? (r.workers === 1 ? r.ratioToMap : r.scalingVs1) : r.ratioToMap)})${scaling ? ` ${formatNs(r.latency.all.p99Ns)}` : ''}`
    out.push(indent(table(['contender', ...counts.map((w) => `${w} worker${w === 1 ? '' : 's'}`)], labels.map((l) => [l, ...counts.map((w) => cell(l, w, rate))]))))
    if (!scaling) {
      const latency = (r: ThroughputRow) => `${formatNs(r.latency.all.p50Ns)} / ${formatNs(r.latency.all.p99Ns)}`
      out.push(indent(table(['  p50 / p99', ...counts.map((w) => `${w} worker${w === 1 ? '' : 's'}`)], labels.map((l) => [l, ...counts.map((w) => cell(l, w, latency))]))))
    }
  }
  return out
}

function qpsP99(qps: number | null | undefined, p99Ms: number | null | undefined): string {
  return `${qps === null || qps === undefined ? '-' : formatRate(qps)} / ${p99Ms === null || p99Ms === undefined ? '-' : formatNs(p99Ms * 1e6)}`
}

function bytes(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} B`
}

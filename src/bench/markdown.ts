/**
 * The figures of BENCHMARKS.md as Markdown tables, from one `conmap bench --json`
 * result (`node scripts/bench-charts.mjs result.json --markdown`): the targets
 * (evaluated here: `conmap bench` does not print them), the
 * multi-worker mixes with ratios to the one-thread Map and to the best peer, the
 * single-thread operations, seed 000's experiment and memory per entry.
 */
import { formatRate } from '../cli/terminal.js'
import { isPeer } from './contenders.js'
import { describeShortly } from './machine.js'
import type { BenchResult, CalibrationRow, ThroughputRow } from './result.js'
import { formatNs, shortCount, times as x } from './format.js'
import { GUARD_OPS } from './guard-loops.js'
import { PASS_LABELS, PASS_OPS } from './passes.js'
import { COST_AIMS_HEADING, evaluateCostAims, evaluateTargets, TARGETS_HEADING } from './targets.js'

export function renderMarkdown(result: BenchResult): string {
  const out: string[] = []
  out.push(`Measured by \`${result.command}\` (${result.mode}, ${result.seconds} s, ${result.startedAt}) on ${describeShortly(result.machine)}.`)
  out.push(`Calibration (pure arithmetic in N workers at once, same run): ${calibration(result.throughput.calibration)}.`)
  out.push('')
  out.push(`### ${TARGETS_HEADING}`)
  out.push('')
  out.push(mdTable(['target', 'wanted', 'reached', ''], evaluateTargets(result).map((t) => [t.name, t.target, t.reached, t.met ? 'met' : '**not met**'])))
  out.push('')
  out.push(`### ${COST_AIMS_HEADING}`)
  out.push('')
  out.push(mdTable(['variant', ...GUARD_OPS], evaluateCostAims(result.guard).map((a) => [a.label, ...GUARD_OPS.map((op) => `${x(a.ops[op].value)} ${a.ops[op].met ? 'met' : '**not met**'}`)])))
  out.push('')
  out.push('### Worker threads: throughput, ratio to a one-thread Map and to the best peer')
  out.push('')
  out.push('x Map: throughput over a plain Map doing the same mix on one thread, over the same keys in the same order. x best peer: over the fastest of sharedmap, lmdb and the postMessage baseline at the same worker count.')
  out.push('')
  out.push(
    "Keys are precomputed strings, the same string objects on every call, visited in a seeded, precomputed order per worker: uniform keys (every key equally likely) or Zipf(0.99) keys (the skew of real caches: the key of rank r drawn with probability proportional to 1/r^0.99, the same hot keys in every worker). Each worker warms up until its rate stops rising before the gate opens.",
  )
  const cases = [...new Set(result.throughput.rows.map((r) => r.case))]
  for (const id of cases) {
    const rows = result.throughput.rows.filter((r) => r.case === id)
    out.push('')
    out.push(`**${id}**`)
    out.push('')
    out.push(mixTable(rows))
  }
  out.push('')
  out.push('### One thread: ns per operation (x Map)')
  out.push('')
  out.push(
    "Keys are built once and the same string objects are passed on every call, as a Map user's are. After `set` of every key into an empty structure, 'first get' reads each key once in a shuffled order (the thread's first read of it); 'get', 'has' (uniform keys, drawn with replacement) and 'get Zipf(0.99)' then read keys this thread has read before: the steady state of a long-lived reader, where 'optimistic' answers from its per-thread read cache. 'get' discards the value it read; 'get, value used' reads the same keys and one field of each value (a string's last character, an object's id), as a caller does: Map.get returns a pointer to a value elsewhere in the heap, which a caller's use of it then fetches, as it does a SharedMap value from the per-thread read cache (one built by the get is fresh). The orders are seeded and precomputed; every get must find its key, every has answer true, and every used value hold its field.",
  )
  const groups = [...new Set(result.singleThread.rows.map((r) => `${r.keys}|${r.values}`))]
  for (const group of groups) {
    const rows = result.singleThread.rows.filter((r) => `${r.keys}|${r.values}` === group)
    const labels = [...new Set(rows.map((r) => r.label))]
    out.push('')
    out.push(`**${shortCount(rows[0]?.keys ?? 0)} keys, ${rows[0]?.values ?? ''} values**`)
    out.push('')
    out.push(
      mdTable(
        ['', ...PASS_OPS.map((op) => PASS_LABELS[op])],
        labels.map((label) => [
          label,
          ...PASS_OPS.map((op) => {
            const row = rows.find((r) => r.label === label && r.op === op)
            if (row?.error !== undefined) return 'failed'
            if (row === undefined || row.nsPerOp === null) return 'n/a'
            return `${formatNs(row.nsPerOp)} (${x(row.ratioToMap)})`
          }),
        ]),
      ),
    )
  }
  out.push('')
  out.push('### Each operation alone, by strategy (ops/s; at 1 worker x Map, above x itself at 1 worker; p99)')
  out.push('')
  out.push(`Calibration: ${calibration(result.operations.calibration)}.`)
  const opCases = [...new Set(result.operations.rows.map((r) => r.case))]
  const counts = [...new Set(result.operations.rows.map((r) => r.workers))].sort((a, b) => a - b)
  const labels = [...new Set(result.operations.rows.map((r) => r.label))]
  for (const id of opCases) {
    const rows = result.operations.rows.filter((r) => r.case === id)
    out.push('')
    out.push(`**${id}**`)
    out.push('')
    out.push(
      mdTable(
        ['', ...counts.map((w) => `${w} worker${w === 1 ? '' : 's'}`)],
        labels.map((label) => [
          label,
          ...counts.map((w) => {
            const row = rows.find((r) => r.label === label && r.workers === w)
            if (row === undefined) return ''
            if (row.opsPerSec === null) return 'failed'
            const ratio = row.workers === 1 ? `${x(row.ratioToMap)} Map` : x(row.scalingVs1)
            return `${formatRate(row.opsPerSec)} (${ratio}), ${formatNs(row.latency.all.p99Ns)}`
          }),
        ]),
      ),
    )
  }
  out.push('')
  const seed = result.seed000
  out.push(`### Seed 000, ch. 4: one RWMutex vs 16 sharded RW locks (${seed.seed.keys} keys, 90% reads)`)
  out.push('')
  out.push(`Calibration: ${calibration(seed.calibration)}.`)
  out.push('')
  out.push(
    mdTable(
      ['', 'rwmutex QPS / P99', 'sharded (16) QPS / P99', 'optimistic QPS / P99', 'QPS sharded / global', 'P99 global / sharded'],
      [
        ['seed 000 (Go)', `${formatRate(seed.seed.qps.rwmutex)} / ${seed.seed.p99Ms.rwmutex} ms`, `${formatRate(seed.seed.qps.sharded)} / ${seed.seed.p99Ms.sharded} ms`, '-', x(seed.seed.qps.sharded / seed.seed.qps.rwmutex), x(seed.seed.p99Ms.rwmutex / seed.seed.p99Ms.sharded)],
        ...seed.comparison.map((c) => [
          `conmap, ${c.workers} workers`,
          `${rate(c.qps.rwmutex)} / ${ms(c.p99Ms.rwmutex)}`,
          `${rate(c.qps.sharded)} / ${ms(c.p99Ms.sharded)}`,
          `${rate(c.qps.optimistic)} / ${ms(c.p99Ms.optimistic)}`,
          x(c.shardedOverGlobalQps),
          x(c.globalOverShardedP99),
        ]),
      ],
    ),
  )
  out.push('')
  out.push('Every contender on the same 1,000 keys (ops/s, x one-thread Map, p99):')
  out.push('')
  const seedCounts = [...new Set(seed.rows.filter((r) => r.contender !== 'map').map((r) => r.workers))].sort((a, b) => a - b)
  const seedLabels = [...new Set(seed.rows.map((r) => r.label))]
  out.push(
    mdTable(
      ['', ...seedCounts.map((w) => `${w} workers`)],
      seedLabels.map((label) => [
        label,
        ...seedCounts.map((w) => {
          const row = seed.rows.find((r) => r.label === label && r.workers === (r.contender === 'map' ? 1 : w))
          if (row?.contender === 'map') return w === seedCounts[0] ? `${formatRate(row.opsPerSec ?? 0)} (one thread), ${formatNs(row.latency.all.p99Ns)}` : ''
          return row === undefined || row.opsPerSec === null ? '-' : `${formatRate(row.opsPerSec)} (${x(row.ratioToMap)}), ${formatNs(row.latency.all.p99Ns)}`
        }),
      ]),
    ),
  )
  out.push('')
  out.push('### Memory per entry')
  out.push('')
  out.push(
    mdTable(
      ['', 'keys', 'values', 'shared / mapped', 'JS heap', 'process RSS'],
      result.singleThread.memory.map((m) => [m.label, shortCount(m.keys), m.values, bytes(m.sharedBytesPerEntry), bytes(m.heapBytesPerEntry), bytes(m.rssBytesPerEntry)]),
    ),
  )
  return `${out.join('\n')}\n`
}

/** Contenders down, worker counts across: ops/s, x Map, x best peer, p50 / p99. */
function mixTable(rows: readonly ThroughputRow[]): string {
  const counts = [...new Set(rows.filter((r) => r.contender !== 'map').map((r) => r.workers))].sort((a, b) => a - b)
  const labels = [...new Set(rows.map((r) => r.label))]
  const bestPeer = (workers: number) => Math.max(0, ...rows.filter((r) => r.workers === workers && (isPeer(r.contender) || r.contender === 'postmessage')).map((r) => r.opsPerSec ?? 0))
  const body = labels.map((label) => [
    label,
    ...counts.map((w) => {
      const row = rows.find((r) => r.label === label && r.workers === (r.contender === 'map' ? 1 : w))
      if (row === undefined) return ''
      if (row.opsPerSec === null) return 'failed'
      if (row.contender === 'map') return w === counts[0] ? `${formatRate(row.opsPerSec)} (one thread)` : ''
      const peer = bestPeer(w)
      const overPeer = isPeer(row.contender) || row.contender === 'postmessage' || peer === 0 ? '' : `, ${x(row.opsPerSec / peer)} best peer`
      return `${formatRate(row.opsPerSec)} (${x(row.ratioToMap)} Map${overPeer}); ${formatNs(row.latency.all.p50Ns)} / ${formatNs(row.latency.all.p99Ns)}`
    }),
  ])
  return mdTable(['', ...counts.map((w) => `${w} worker${w === 1 ? '' : 's'}: ops/s (ratios); p50 / p99`)], body)
}

function calibration(rows: readonly CalibrationRow[]): string {
  return rows
    .filter((c) => c.workers > 1)
    .map((c) => `${c.workers} workers ${c.scaling.toFixed(2)}x one`)
    .join(', ')
}

function mdTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n')
}

function rate(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : formatRate(value)
}

function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? '-' : formatNs(value * 1e6)
}

function bytes(value: number | null): string {
  return value === null ? '-' : `${Math.round(value)} B`
}

/**
 * The three charts of BENCHMARKS.md, drawn from one `conmap bench --json` result
 * (scripts/bench-charts.mjs writes them under docs/): throughput by strategy and
 * worker count, 'optimistic' over the Map and each peer, and seed 000's experiment.
 * Each names the machine, the calibration and the command in its footer.
 */
import { formatRate } from '../cli/terminal.js'
import { describeShortly } from './machine.js'
import type { BenchResult, CalibrationRow, ContenderId, ThroughputRow } from './result.js'
import { renderChart, type Panel } from './svg.js'

export interface ChartFile {
  readonly name: string
  readonly svg: string
}

export function renderCharts(result: BenchResult): ChartFile[] {
  return [
    { name: 'bench-throughput.svg', svg: throughputChart(result) },
    { name: 'bench-peers.svg', svg: peersChart(result) },
    { name: 'bench-seed000.svg', svg: seedChart(result) },
  ]
}

function footer(result: BenchResult, calibration: readonly CalibrationRow[]): string[] {
  const scaling = calibration
    .filter((c) => c.workers > 1)
    .map((c) => `${c.workers} workers ${c.scaling.toFixed(2)}x`)
    .join(', ')
  return [
    `machine: ${describeShortly(result.machine)}; calibration (pure arithmetic, same run): ${scaling || 'n/a'}`,
    `command: ${result.command} (${result.mode}, ${result.seconds} s, ${result.startedAt}); conmap ${result.version}; medians of rounds`,
  ]
}

/** The main 100k-key string mixes over uniform keys, by read share (results before issue 9 have no keyOrder). */
function mixRows(result: BenchResult, readShare: number): ThroughputRow[] {
  const keys = Math.max(...result.throughput.rows.filter((r) => r.values === 'string').map((r) => r.keys).filter((k) => k < 1_000_000), 0)
  return result.throughput.rows.filter((r) => r.values === 'string' && r.keys === keys && r.keyOrder !== 'zipf' && r.workload.kind === 'mix' && r.workload.readShare === readShare)
}

function throughputChart(result: BenchResult): string {
  const series = [...new Set(result.throughput.rows.filter((r) => r.contender !== 'map').map((r) => r.label))]
  const panel = (readShare: number): Panel => {
    const rows = mixRows(result, readShare)
    const counts = [...new Set(rows.filter((r) => r.contender !== 'map').map((r) => r.workers))].sort((a, b) => a - b)
    const map = rows.find((r) => r.contender === 'map')?.opsPerSec ?? null
    return {
      title: `${Math.round(readShare * 100)}% get / ${Math.round((1 - readShare) * 100)}% set, ${rows[0]?.keys ?? 0} keys`,
      yLabel: 'operations per second, all workers (log)',
      log: true,
      format: formatRate,
      groups: counts.map((w) => ({
        label: `${w} worker${w === 1 ? '' : 's'}`,
        bars: series.map((s) => ({ series: s, value: rows.find((r) => r.label === s && r.workers === w)?.opsPerSec ?? null })),
      })),
      lines: map === null ? [] : [{ value: map, label: `Map, one thread: ${formatRate(map)}` }],
    }
  }
  return renderChart({ title: 'conmap bench: throughput by strategy and worker count', series, panels: [panel(0.9), panel(0.5)], footer: footer(result, result.throughput.calibration) })
}

function peersChart(result: BenchResult): string {
  const others: readonly ContenderId[] = ['map', 'sharedmap', 'lmdb', 'postmessage']
  const label = (c: ContenderId) => (c === 'map' ? 'vs Map, one thread' : `vs ${c === 'postmessage' ? 'Map via postMessage' : c} (same workers)`)
  const present = others.filter((c) => result.throughput.rows.some((r) => r.contender === c))
  const series = present.map(label)
  const panel = (readShare: number): Panel => {
    const rows = mixRows(result, readShare)
    const counts = [...new Set(rows.filter((r) => r.contender === 'optimistic').map((r) => r.workers))].sort((a, b) => a - b)
    const ops = (c: ContenderId, w: number) => rows.find((r) => r.contender === c && r.workers === (c === 'map' ? 1 : w))?.opsPerSec ?? null
    return {
      title: `'optimistic' over each, ${Math.round(readShare * 100)}/${Math.round((1 - readShare) * 100)}`,
      yLabel: 'ratio of throughputs (log; above 1: conmap faster)',
      log: true,
      format: (v) => `${v >= 1 ? v.toFixed(0) : v.toFixed(2)}x`,
      groups: counts.map((w) => ({
        label: `${w} worker${w === 1 ? '' : 's'}`,
        bars: present.map((c) => {
          const mine = ops('optimistic', w)
          const theirs = ops(c, w)
          return { series: label(c), value: mine === null || theirs === null ? null : mine / theirs }
        }),
      })),
      lines: [{ value: 1, label: 'equal' }],
    }
  }
  return renderChart({ title: "conmap bench: SharedMap 'optimistic' against Map, postMessage and the peers", series, panels: [panel(0.9), panel(0.5)], footer: footer(result, result.throughput.calibration) })
}

function seedChart(result: BenchResult): string {
  const seed = result.seed000
  const series = ['rwmutex: one global RW lock', 'sharded: 16 RW locks', 'optimistic: lock-free reads']
  const groups = (pick: 'qps' | 'p99Ms') => [
    { label: 'seed 000 (Go)', bars: [{ series: series[0] as string, value: seed.seed[pick].rwmutex }, { series: series[1] as string, value: seed.seed[pick].sharded }] },
    ...seed.comparison.map((c) => ({
      label: `conmap, ${c.workers} workers`,
      bars: [
        { series: series[0] as string, value: c[pick].rwmutex ?? null },
        { series: series[1] as string, value: c[pick].sharded ?? null },
        { series: series[2] as string, value: c[pick].optimistic ?? null },
      ],
    })),
  ]
  const panels: Panel[] = [
    { title: 'QPS (higher is better)', yLabel: 'operations per second (log)', log: true, format: formatRate, groups: groups('qps') },
    { title: 'P99 latency (lower is better)', yLabel: 'milliseconds (log)', log: true, format: (v) => (v >= 1 ? `${+v.toPrecision(3)} ms` : `${+(v * 1000).toPrecision(3)} µs`), groups: groups('p99Ms') },
  ]
  const ratios = seed.comparison.map(
    (c) => `conmap, ${c.workers} workers: QPS sharded/global ${fmt(c.shardedOverGlobalQps)}, P99 global/sharded ${fmt(c.globalOverShardedP99)}`,
  )
  return renderChart({
    title: `Seed 000, ch. 4 rerun: global RWMutex vs 16 sharded RW locks, ${seed.seed.keys} keys, 90% reads`,
    series,
    panels,
    footer: ['seed 000 (Go): QPS sharded/global 4.81x, P99 global/sharded 6.05x', ...ratios, ...footer(result, seed.calibration)],
  })
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : `${value.toFixed(2)}x`
}

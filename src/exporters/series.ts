/**
 * The Prometheus series of a map's metrics: one catalogue of names, types and help
 * (what the Grafana dashboard may query: dashboard.ts), and the samples of one
 * map.metrics() reading under them. Counters are cumulative since the map was made
 * and summed over every thread, so one process exposes one series per label set
 * and `rate()` over them is right however many workers record.
 */
import type { Key } from '../codec/index.js'
import type { HotKey, LockWaitHistogram, MapMetrics } from '../metrics/types.js'

/** The Prometheus type of a series. */
export type SeriesType = 'counter' | 'gauge' | 'histogram'

/** One exported series (SERIES). */
export interface SeriesSpec {
  readonly name: string
  readonly type: SeriesType
  readonly help: string
  readonly labels: readonly string[]
}

/** Every series conmap/prometheus exports: its name, type, help and labels. */
export const SERIES = {
  operations: { name: 'conmap_map_operations_total', type: 'counter', help: "SharedMap calls by method (op) and outcome ('ok' or the error code)", labels: ['map', 'op', 'outcome'] },
  lookups: { name: 'conmap_map_lookups_total', type: 'counter', help: 'Successful SharedMap calls that found their key (hit) or not (miss)', labels: ['map', 'op', 'result'] },
  acquisitions: { name: 'conmap_lock_acquisitions_total', type: 'counter', help: 'Shard or map lock acquisitions by mode (read: shared, write: exclusive)', labels: ['map', 'mode'] },
  waits: { name: 'conmap_lock_wait_seconds', type: 'histogram', help: 'Time waited to acquire a lock, in seconds (acquisitions that did not wait are in the first bucket)', labels: ['map', 'mode'] },
  timeouts: { name: 'conmap_lock_timeouts_total', type: 'counter', help: 'Calls that gave up waiting for a lock (ERR_LOCK_TIMEOUT)', labels: ['map'] },
  retries: { name: 'conmap_map_optimistic_retries_total', type: 'counter', help: 'Optimistic reads that read again because a writer moved their shard', labels: ['map'] },
  recoveries: { name: 'conmap_map_recoveries_total', type: 'counter', help: 'Shards repaired after a thread died holding them', labels: ['map'] },
  resizes: { name: 'conmap_map_resizes_total', type: 'counter', help: 'Shard table resizes started', labels: ['map'] },
  entries: { name: 'conmap_map_entries', type: 'gauge', help: 'Entries in the map', labels: ['map'] },
  bytes: { name: 'conmap_map_bytes', type: 'gauge', help: 'Shared memory of the map in bytes: allocated (used), in the buffer (reserved), its ceiling (max)', labels: ['map', 'kind'] },
  hotKeys: { name: 'conmap_map_hot_key_calls', type: 'gauge', help: 'Estimated calls on the most used keys since the map was made (sampled)', labels: ['map', 'key'] },
  overflow: { name: 'conmap_metrics_overflow_threads', type: 'gauge', help: 'Threads that shared the overflow row of counters (their counts may be short)', labels: ['map'] },
} as const satisfies Record<string, SeriesSpec>

export interface Sample {
  readonly labels: Readonly<Record<string, string | number>>
  readonly value: number
  /** For histogram parts: the series name with its suffix (_bucket, _sum, _count). */
  readonly metricName?: string
}

/** Longest key label: keys can be long, a label should not be. */
const KEY_LABEL_CHARS = 120

/** The samples of every series for one map's reading. */
export function samplesOf(map: string, m: MapMetrics, hot: readonly HotKey<Key>[]): Record<keyof typeof SERIES, Sample[]> {
  const operations: Sample[] = []
  const lookups: Sample[] = []
  for (const [op, counts] of Object.entries(m.ops)) {
    operations.push({ labels: { map, op, outcome: 'ok' }, value: counts.ok })
    for (const [outcome, value] of Object.entries(counts.errors)) operations.push({ labels: { map, op, outcome }, value })
    if (counts.hits + counts.misses > 0) {
      lookups.push({ labels: { map, op, result: 'hit' }, value: counts.hits }, { labels: { map, op, result: 'miss' }, value: counts.misses })
    }
  }
  const modes = Object.entries(m.lockWaits) as Array<[string, LockWaitHistogram]>
  return {
    operations,
    lookups,
    acquisitions: modes.map(([mode, h]) => ({ labels: { map, mode }, value: h.count })),
    waits: modes.flatMap(([mode, h]) => histogramSamples(SERIES.waits.name, { map, mode }, h)),
    timeouts: [{ labels: { map }, value: m.lockTimeouts }],
    retries: [{ labels: { map }, value: m.optimisticRetries }],
    recoveries: [{ labels: { map }, value: m.recoveries }],
    resizes: [{ labels: { map }, value: m.resizes }],
    entries: [{ labels: { map }, value: m.entries }],
    bytes: (['used', 'reserved', 'max'] as const).map((kind) => ({ labels: { map, kind }, value: m.bytes[kind] })),
    hotKeys: hot.map(({ key, count }) => ({ labels: { map, key: String(key).slice(0, KEY_LABEL_CHARS) }, value: count })),
    overflow: [{ labels: { map }, value: m.overflowThreads }],
  }
}

function histogramSamples(name: string, labels: Readonly<Record<string, string>>, h: LockWaitHistogram): Sample[] {
  const samples: Sample[] = []
  let cumulative = 0
  h.counts.forEach((count, bucket) => {
    cumulative += count
    const bound = h.bounds[bucket]
    samples.push({ labels: { ...labels, le: bound === undefined ? '+Inf' : bound }, value: cumulative, metricName: `${name}_bucket` })
  })
  samples.push({ labels, value: h.sum, metricName: `${name}_sum` }, { labels, value: h.count, metricName: `${name}_count` })
  return samples
}

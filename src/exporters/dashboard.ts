/**
 * The Grafana dashboard of the series conmap/prometheus exports (series.ts):
 * throughput and errors by method, hit ratio, lock waits p50 / p99 and
 * acquisitions, timeouts and retries, hot keys, entries and memory, and the
 * circuit breakers registered with registerBreaker (breaker-series.ts). Generated from
 * code so its queries can only name series that exist; dashboards/conmap.json in the
 * package is its output (scripts/dashboard.mjs writes it, a test keeps them equal).
 * The Prometheus data source and the maps shown are dashboard variables.
 */
import { SERIES } from './series.js'
import { BREAKER_SERIES } from './breaker-series.js'

interface Panel {
  readonly title: string
  readonly description: string
  readonly unit: string
  readonly queries: ReadonlyArray<{ readonly expr: string; readonly legend: string }>
  readonly type?: 'timeseries' | 'bargauge'
}

const MAP = 'map=~"$map"'
const rate = (series: string, labels = MAP) => `rate(${series}{${labels}}[$__rate_interval])`
const waitQuantile = (q: number) => `histogram_quantile(${q}, sum by (le, mode) (${rate(`${SERIES.waits.name}_bucket`)}))`

const PANELS: readonly Panel[] = [
  { title: 'Calls by method', description: 'SharedMap calls per second that returned, by method, all threads', unit: 'ops', queries: [{ expr: `sum by (op) (${rate(SERIES.operations.name, `${MAP}, outcome="ok"`)})`, legend: '{{op}}' }] },
  { title: 'Errors by method and code', description: 'Calls per second that threw, by method and error code', unit: 'ops', queries: [{ expr: `sum by (op, outcome) (${rate(SERIES.operations.name, `${MAP}, outcome!="ok"`)})`, legend: '{{op}} {{outcome}}' }] },
  { title: 'Hit ratio', description: 'Share of lookups that found their key, by method', unit: 'percentunit', queries: [{ expr: `sum by (op) (${rate(SERIES.lookups.name, `${MAP}, result="hit"`)}) / sum by (op) (${rate(SERIES.lookups.name)})`, legend: '{{op}}' }] },
  { title: 'Lock wait p50', description: 'Median time to acquire a shard or map lock, by mode', unit: 's', queries: [{ expr: waitQuantile(0.5), legend: '{{mode}}' }] },
  { title: 'Lock wait p99', description: '99th percentile of the time to acquire a lock, by mode', unit: 's', queries: [{ expr: waitQuantile(0.99), legend: '{{mode}}' }] },
  { title: 'Lock acquisitions', description: 'Lock acquisitions per second, by mode', unit: 'ops', queries: [{ expr: `sum by (mode) (${rate(SERIES.acquisitions.name)})`, legend: '{{mode}}' }] },
  {
    title: 'Lock timeouts and optimistic retries',
    description: 'Calls that gave up on a lock, and optimistic reads that read again, per second',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate(SERIES.timeouts.name)})`, legend: 'lock timeouts' },
      { expr: `sum(${rate(SERIES.retries.name)})`, legend: 'optimistic retries' },
    ],
  },
  {
    title: 'Recoveries and resizes',
    description: 'Shards repaired after a thread died holding them, and table resizes, per second',
    unit: 'ops',
    queries: [
      { expr: `sum(${rate(SERIES.recoveries.name)})`, legend: 'recoveries' },
      { expr: `sum(${rate(SERIES.resizes.name)})`, legend: 'resizes' },
    ],
  },
  { title: 'Hot keys', description: 'Estimated calls on the most used keys (sampled, since the map was made)', unit: 'short', queries: [{ expr: `topk(10, max by (key) (${SERIES.hotKeys.name}{${MAP}}))`, legend: '{{key}}' }], type: 'bargauge' },
  { title: 'Entries', description: 'Entries in each map', unit: 'short', queries: [{ expr: `sum by (map) (${SERIES.entries.name}{${MAP}})`, legend: '{{map}}' }] },
  {
    title: 'Circuit breakers',
    description: 'Breaker state (0 closed, 1 open, 2 half-open), and state changes per second',
    unit: 'short',
    queries: [
      { expr: `max by (breaker) (${BREAKER_SERIES.state.name})`, legend: '{{breaker}} state' },
      { expr: `sum by (breaker) (rate(${BREAKER_SERIES.transitions.name}[$__rate_interval]))`, legend: '{{breaker}} transitions/s' },
    ],
  },
  { title: 'Shared memory', description: 'Bytes allocated, in the buffer, and the ceiling', unit: 'bytes', queries: [{ expr: `sum by (map, kind) (${SERIES.bytes.name}{${MAP}})`, legend: '{{map}} {{kind}}' }] },
]

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const

/**
 * The Grafana dashboard of conmap/prometheus's series, as Grafana's JSON model
 * (schema 39): the same as `dashboards/conmap.json` in the package. Its variables:
 * `datasource` (a Prometheus data source) and `map` (the maps' `map` labels).
 * @example
 * ```ts
 * import { writeFileSync } from 'node:fs'
 * import { grafanaDashboard } from 'conmap/prometheus'
 * writeFileSync('provisioning/dashboards/conmap.json', JSON.stringify(grafanaDashboard()))
 * ```
 */
export function grafanaDashboard(): Record<string, unknown> {
  return {
    uid: 'conmap-maps',
    title: 'conmap SharedMap',
    description: 'SharedMap metrics summed over every thread (conmap/prometheus)',
    tags: ['conmap'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    editable: true,
    refresh: '30s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {} },
        {
          name: 'map',
          label: 'Map',
          type: 'query',
          datasource: DATASOURCE,
          query: { query: `label_values(${SERIES.entries.name}, map)`, refId: 'maps' },
          definition: `label_values(${SERIES.entries.name}, map)`,
          refresh: 2,
          multi: true,
          includeAll: true,
          allValue: '.*',
          current: { text: 'All', value: '$__all' },
        },
      ],
    },
    panels: PANELS.map((panel, i) => ({
      id: i + 1,
      type: panel.type ?? 'timeseries',
      title: panel.title,
      description: panel.description,
      datasource: DATASOURCE,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
      options: panel.type === 'bargauge' ? { orientation: 'horizontal', displayMode: 'gradient' } : { legend: { displayMode: 'list', placement: 'bottom' } },
      targets: panel.queries.map((query, q) => ({ refId: String.fromCharCode(65 + q), datasource: DATASOURCE, expr: query.expr, legendFormat: query.legend, instant: panel.type === 'bargauge' })),
    })),
  }
}

// The Grafana dashboard: the shipped JSON is the generator's output, every query
// parses as PromQL (Prometheus's own lezer grammar) and names only series that
// conmap/prometheus exports, every panel has a unit and the data source variable,
// and every rate() uses $__rate_interval. (prometheus.test.ts runs the queries on a
// real Prometheus.)
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parser } from '@prometheus-io/lezer-promql'
import { BREAKER_SERIES, SERIES, grafanaDashboard } from '../../src/exporters/prometheus.js'

interface Target {
  expr: string
  datasource: { uid: string }
}
interface Panel {
  title: string
  datasource: { uid: string }
  fieldConfig: { defaults: { unit?: string } }
  targets: Target[]
}

const exported = new Set(
  Object.values({ ...SERIES, ...BREAKER_SERIES }).flatMap((spec) => (spec.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((suffix) => spec.name + suffix) : [spec.name])),
)

/** The metric names an expression selects, after Grafana's variables are given values. */
function selected(expr: string): string[] {
  const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$map', 'example')
  const tree = parser.parse(promql)
  const names: string[] = []
  const cursor = tree.cursor()
  do {
    assert.equal(cursor.type.isError, false, `${expr} does not parse at ${cursor.from}: ${promql.slice(cursor.from, cursor.from + 20)}`)
    if (cursor.name === 'Identifier') names.push(promql.slice(cursor.from, cursor.to))
  } while (cursor.next())
  return names
}

describe('the Grafana dashboard', () => {
  const dashboard = grafanaDashboard() as { panels: Panel[]; templating: { list: Array<{ name: string; query: unknown }> } }

  test('dashboards/conmap.json is the generated dashboard (node scripts/dashboard.mjs)', () => {
    const shipped: unknown = JSON.parse(readFileSync(new URL('../../../dashboards/conmap.json', import.meta.url), 'utf8'))
    assert.deepEqual(shipped, dashboard)
  })

  test('every query parses and names only exported series', () => {
    const used = new Set<string>()
    for (const panel of dashboard.panels) {
      assert.ok(panel.targets.length > 0, `${panel.title} has queries`)
      for (const { expr } of panel.targets) {
        const names = selected(expr)
        assert.ok(names.length > 0, `${expr} selects a series`)
        for (const name of names) {
          assert.ok(exported.has(name), `panel '${panel.title}' queries ${name}, which conmap/prometheus does not export`)
          used.add(name)
        }
        for (const match of expr.matchAll(/\b(?:rate|increase)\([^[]*\[([^\]]+)\]/g)) assert.equal(match[1], '$__rate_interval', expr)
      }
    }
    // The panels the issue asks for: throughput by op, lock wait, hot keys, memory.
    for (const name of ['conmap_map_operations_total', 'conmap_lock_wait_seconds_bucket', 'conmap_map_hot_key_calls', 'conmap_map_bytes']) assert.ok(used.has(name), `a panel shows ${name}`)
    const variable = dashboard.templating.list.find((v) => v.name === 'map')
    const definition = JSON.stringify(variable?.query)
    assert.ok([...exported].some((name) => definition.includes(`label_values(${name}, map)`)), definition)
  })

  test('every panel has a unit and reads the data source variable', () => {
    for (const panel of dashboard.panels) {
      assert.ok(panel.fieldConfig.defaults.unit, `${panel.title} has a unit`)
      assert.equal(panel.datasource.uid, '${datasource}')
      for (const target of panel.targets) assert.equal(target.datasource.uid, '${datasource}')
    }
  })

  test('the parser check itself rejects a broken query and an unknown series', () => {
    assert.throws(() => selected('sum(rate(conmap_map_entries[1m])'))
    assert.deepEqual(selected('sum(rate(not_a_conmap_series[$__rate_interval]))'), ['not_a_conmap_series'])
  })
})

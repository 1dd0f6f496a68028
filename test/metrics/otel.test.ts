// conmap/otel: observable instruments over map.metrics(), read by the
// OpenTelemetry SDK's in-memory exporter; counts of worker threads, summed.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { SharedMap } from '../../src/index.js'
import { registerMetrics } from '../../src/exporters/otel.js'
import { start, withCode } from '../helpers/workers.js'

const metricsWorker = fileURLToPath(new URL('../fixtures/metrics-worker.js', import.meta.url))

interface Point {
  attributes: Record<string, unknown>
  value: unknown
}

function points(resource: ResourceMetrics[], name: string): { unit: string; points: Point[] } {
  for (const r of resource) {
    for (const scope of r.scopeMetrics) {
      for (const metric of scope.metrics) if (metric.descriptor.name === name) return { unit: metric.descriptor.unit, points: metric.dataPoints as Point[] }
    }
  }
  throw new Error(`no metric ${name}`)
}

describe('conmap/otel', () => {
  test("observable instruments report two workers' counts, summed, with OTel names and units", async () => {
    const map = new SharedMap<string, number>({ concurrency: 'sharded', metrics: true })
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
    const provider = new MeterProvider({ readers: [reader] })
    let reads = 0
    const counted = { metrics: () => (reads++, map.metrics()), hotKeys: (k: number) => map.hotKeys(k) }
    const stop = registerMetrics(counted, { meter: provider.getMeter('test'), name: 'sessions', hotKeys: 2 })
    const n = 100
    await Promise.all(Array.from({ length: 2 }, (_, w) => start('ops', { handle: map.handle, prefix: `w${w}:`, n }, metricsWorker).result))
    await reader.forceFlush()
    const exported = exporter.getMetrics()
    const ops = points(exported, 'conmap.map.operations')
    assert.equal(ops.unit, '{operation}')
    const of = (list: Point[], attrs: Record<string, string>) => list.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes[k] === v))?.value
    assert.equal(of(ops.points, { 'conmap.map.name': 'sessions', 'conmap.operation': 'get', 'conmap.outcome': 'ok' }), 2 * 2 * n)
    assert.equal(of(ops.points, { 'conmap.operation': 'set', 'conmap.outcome': 'ERR_INVALID_KEY' }), 2)
    const lookups = points(exported, 'conmap.map.lookups')
    assert.equal(of(lookups.points, { 'conmap.operation': 'get', 'conmap.lookup.result': 'miss' }), 2 * n)
    const acquisitions = points(exported, 'conmap.lock.acquisitions')
    assert.equal(of(acquisitions.points, { 'conmap.lock.mode': 'read' }), 2 * 2 * n)
    const wait = points(exported, 'conmap.lock.wait.time')
    assert.equal(wait.unit, 's')
    assert.equal(typeof of(wait.points, { 'conmap.lock.mode': 'write' }), 'number')
    assert.equal(of(points(exported, 'conmap.map.entries').points, {}), map.size)
    assert.equal(of(points(exported, 'conmap.map.memory').points, { 'conmap.memory.kind': 'max' }), map.stats().bytes.max)
    assert.equal(points(exported, 'conmap.map.hot_key.calls').points.length, 2)
    // Stopped: collections no longer read the map.
    stop()
    const before = reads
    await reader.forceFlush()
    assert.equal(reads, before)
    await provider.shutdown()
  })

  test('bad options and a map without metrics are refused', () => {
    const provider = new MeterProvider()
    const meter = provider.getMeter('test')
    assert.throws(() => registerMetrics(new SharedMap(), { meter, name: 'x' }), withCode('ERR_INVALID_ARGUMENT'))
    const map = new SharedMap({ metrics: true })
    assert.throws(() => registerMetrics(map, { meter, name: '' }), withCode('ERR_INVALID_ARGUMENT'))
    assert.throws(() => registerMetrics(map, { meter: {} as typeof meter, name: 'x' }), withCode('ERR_INVALID_ARGUMENT'))
    assert.throws(() => registerMetrics(map, { meter, name: 'x', hotKeys: -1 }), withCode('ERR_INVALID_ARGUMENT'))
  })
})

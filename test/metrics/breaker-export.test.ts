// registerBreaker (conmap/prometheus, conmap/otel): a breaker that a worker trips
// reads as open in the main thread's registry and meter, from shared memory.
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { Registry } from 'prom-client'
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics'
import { CircuitBreaker, SharedMap, guard } from '../../src/index.js'
import { registerBreaker } from '../../src/exporters/prometheus.js'
import { registerBreaker as registerOtelBreaker } from '../../src/exporters/otel.js'
import { start, withCode } from '../helpers/workers.js'

const metricsWorker = fileURLToPath(new URL('../fixtures/metrics-worker.js', import.meta.url))

/** `name{labels} value` lines of the exposition text, as a map. */
function parse(text: string): Map<string, number> {
  const series = new Map<string, number>()
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue
    const at = line.lastIndexOf(' ')
    series.set(line.slice(0, at), Number(line.slice(at + 1)))
  }
  return series
}

class Reader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

describe('registerBreaker', () => {
  test("conmap/prometheus: a worker trips the breaker; the main thread's registry shows it open", async () => {
    const map = new SharedMap<string, number>({ metrics: true })
    const sessions = guard(map, { name: 'sessions', breaker: { failures: 3, resetAfter: 60_000 } })
    const registry = new Registry()
    const off = registerBreaker(sessions.breaker, { registry, name: 'sessions' })
    let series = parse(await registry.metrics())
    assert.equal(series.get('conmap_breaker_state{breaker="sessions"}'), 0)
    assert.equal(series.get('conmap_breaker_transitions_total{breaker="sessions"}'), 0)
    assert.equal(await start('tripBreaker', { handle: map.handle, breaker: sessions.breaker.handle, failures: 3 }, metricsWorker).result, 'open')
    series = parse(await registry.metrics())
    assert.equal(series.get('conmap_breaker_state{breaker="sessions"}'), 1)
    assert.equal(series.get('conmap_breaker_transitions_total{breaker="sessions"}'), 1)
    assert.equal(series.get('conmap_breaker_window_failures{breaker="sessions"}'), 0)
    sessions.breaker.reset()
    series = parse(await registry.metrics())
    assert.equal(series.get('conmap_breaker_state{breaker="sessions"}'), 0)
    assert.equal(series.get('conmap_breaker_transitions_total{breaker="sessions"}'), 2)
    // Names are unique per registry; bad input registers nothing.
    assert.throws(() => registerBreaker(new CircuitBreaker(), { registry, name: 'sessions' }), withCode('ERR_INVALID_ARGUMENT'))
    assert.throws(() => registerBreaker({} as CircuitBreaker, { registry, name: 'x' }), withCode('ERR_INVALID_ARGUMENT'))
    assert.throws(() => registerBreaker(new CircuitBreaker(), { registry, name: '' }), withCode('ERR_INVALID_ARGUMENT'))
    const other = new CircuitBreaker()
    const offOther = registerBreaker(other, { registry, name: 'other' })
    series = parse(await registry.metrics())
    assert.equal(series.get('conmap_breaker_state{breaker="other"}'), 0)
    off()
    offOther()
    assert.equal(registry.getSingleMetric('conmap_breaker_state'), undefined)
  })

  test('conmap/otel: the state and transitions as observable instruments', async () => {
    const breaker = new CircuitBreaker({ failures: 2, resetAfter: 60_000 })
    const reader = new Reader()
    const provider = new MeterProvider({ readers: [reader] })
    registerOtelBreaker(breaker, { meter: provider.getMeter('test'), name: 'b' })
    const read = async (): Promise<Map<string, number>> => {
      const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: ResourceMetrics }
      const values = new Map<string, number>()
      for (const scope of resourceMetrics.scopeMetrics) {
        for (const metric of scope.metrics) {
          for (const point of metric.dataPoints) {
            assert.equal(point.attributes['conmap.breaker.name'], 'b')
            values.set(metric.descriptor.name, point.value as number)
          }
        }
      }
      return values
    }
    assert.equal((await read()).get('conmap.breaker.state'), 0)
    for (let i = 0; i < 2; i++) breaker.settle(breaker.admit(), 'failure')
    const open = await read()
    assert.equal(open.get('conmap.breaker.state'), 1)
    assert.equal(open.get('conmap.breaker.transitions'), 1)
    assert.throws(() => registerOtelBreaker(breaker, { meter: {} as never, name: 'b' }), withCode('ERR_INVALID_ARGUMENT'))
    await provider.shutdown()
  })
})

/**
 * conmap/otel: a map's metrics as OpenTelemetry observable instruments
 * (@opentelemetry/api is an optional peer dependency). One batch callback reads the
 * map's shared memory (map.metrics(), map.hotKeys()) at each collection, so the
 * meter of any thread reports the sums over all threads. Names follow the OTel
 * semantic conventions: `conmap.{area}.{metric}`, units as UCUM annotations, no
 * `_total`; the `conmap.map.name` attribute tells maps apart.
 *
 * The API has no observable histogram, so lock waits are reported as their
 * cumulative time (`conmap.lock.wait.time`, s, as Go's
 * /sync/mutex/wait/total:seconds) beside the acquisitions: their ratio is the mean
 * wait; percentiles come from conmap/prometheus or map.metrics().
 */
import type { Attributes, BatchObservableCallback, Meter, Observable } from '@opentelemetry/api'
import { conmapError, ErrorCode } from '../errors/index.js'
import { adapterOptions, type MeasuredMap } from './options.js'

export type { MeasuredMap } from './options.js'

export interface OtelOptions {
  /** The meter to create the instruments on (e.g. `metrics.getMeter('conmap')`). */
  readonly meter: Meter
  /** The map's `conmap.map.name` attribute. */
  readonly name: string
  /**
   * Most used keys to report as `conmap.map.hot_key.calls` (0: none); keys become
   * attribute values. Finding them reads the map (see the Prometheus adapter's hotKeys).
   * @default 10 (0 under 'none')
   */
  readonly hotKeys?: number | undefined
}

/**
 * Creates the map's observable instruments on the meter; returns a function that
 * stops reporting them.
 * @throws ConmapError ERR_INVALID_ARGUMENT for a missing meter or name, a bad
 *   hotKeys, or a map made without metrics
 * @example
 * ```ts
 * import { metrics } from '@opentelemetry/api'
 * import { registerMetrics } from 'conmap/otel'
 * registerMetrics(sessions, { meter: metrics.getMeter('my-service'), name: 'sessions' })
 * ```
 */
export function registerMetrics(map: MeasuredMap, options: OtelOptions): () => void {
  if (typeof options !== 'object' || options === null || typeof options.meter?.addBatchObservableCallback !== 'function') {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, 'registerMetrics needs { meter, name }: meter an OpenTelemetry Meter')
  }
  const { meter } = options
  const { name, hotKeys } = adapterOptions(map, options, 'the conmap.map.name attribute')
  const operations = meter.createObservableCounter('conmap.map.operations', { unit: '{operation}', description: "SharedMap calls by method (conmap.operation) and outcome ('ok' or the error code), all threads" })
  const lookups = meter.createObservableCounter('conmap.map.lookups', { unit: '{operation}', description: 'Successful calls that found their key (hit) or not (miss)' })
  const acquisitions = meter.createObservableCounter('conmap.lock.acquisitions', { unit: '{acquisition}', description: 'Lock acquisitions by mode (read: shared, write: exclusive)' })
  const waitTime = meter.createObservableCounter('conmap.lock.wait.time', { unit: 's', description: 'Time waited to acquire locks, by mode' })
  const timeouts = meter.createObservableCounter('conmap.lock.timeouts', { unit: '{timeout}', description: 'Calls that gave up waiting for a lock (ERR_LOCK_TIMEOUT)' })
  const retries = meter.createObservableCounter('conmap.map.optimistic_retries', { unit: '{retry}', description: 'Optimistic reads that read again because a writer moved their shard' })
  const recoveries = meter.createObservableCounter('conmap.map.recoveries', { unit: '{recovery}', description: 'Shards repaired after a thread died holding them' })
  const resizes = meter.createObservableCounter('conmap.map.resizes', { unit: '{resize}', description: 'Shard table resizes started' })
  const entries = meter.createObservableUpDownCounter('conmap.map.entries', { unit: '{entry}', description: 'Entries in the map' })
  const memory = meter.createObservableUpDownCounter('conmap.map.memory', { unit: 'By', description: 'Shared memory of the map: allocated (used), in the buffer (reserved), its ceiling (max)' })
  const hot = meter.createObservableGauge('conmap.map.hot_key.calls', { unit: '{operation}', description: 'Estimated calls on the most used keys since the map was made (sampled)' })
  const observables: Observable[] = [operations, lookups, acquisitions, waitTime, timeouts, retries, recoveries, resizes, entries, memory, hot]
  const base: Attributes = { 'conmap.map.name': name }
  const callback: BatchObservableCallback = (result) => {
    const m = map.metrics()
    for (const [op, counts] of Object.entries(m.ops)) {
      result.observe(operations, counts.ok, { ...base, 'conmap.operation': op, 'conmap.outcome': 'ok' })
      for (const [outcome, value] of Object.entries(counts.errors)) result.observe(operations, value, { ...base, 'conmap.operation': op, 'conmap.outcome': outcome })
      if (counts.hits + counts.misses === 0) continue
      result.observe(lookups, counts.hits, { ...base, 'conmap.operation': op, 'conmap.lookup.result': 'hit' })
      result.observe(lookups, counts.misses, { ...base, 'conmap.operation': op, 'conmap.lookup.result': 'miss' })
    }
    for (const [mode, h] of Object.entries(m.lockWaits)) {
      result.observe(acquisitions, h.count, { ...base, 'conmap.lock.mode': mode })
      result.observe(waitTime, h.sum, { ...base, 'conmap.lock.mode': mode })
    }
    result.observe(timeouts, m.lockTimeouts, base)
    result.observe(retries, m.optimisticRetries, base)
    result.observe(recoveries, m.recoveries, base)
    result.observe(resizes, m.resizes, base)
    result.observe(entries, m.entries, base)
    for (const kind of ['used', 'reserved', 'max'] as const) result.observe(memory, m.bytes[kind], { ...base, 'conmap.memory.kind': kind })
    if (hotKeys > 0) for (const { key, count } of map.hotKeys(hotKeys)) result.observe(hot, count, { ...base, 'conmap.key': String(key) })
  }
  meter.addBatchObservableCallback(callback, observables)
  return () => meter.removeBatchObservableCallback(callback, observables)
}

export { registerBreaker, type OtelBreakerOptions } from './otel-breaker.js'
export { BREAKER_STATE_VALUE, type MeasuredBreaker } from './breaker-series.js'

/**
 * registerBreaker for conmap/otel: a breaker's state and transitions as observable
 * instruments, read from its shared memory at each collection.
 */
import type { Attributes, BatchObservableCallback, Meter } from '@opentelemetry/api'
import { conmapError, ErrorCode } from '../errors/index.js'
import { breakerOptions, breakerValues, type MeasuredBreaker } from './breaker-series.js'

export interface OtelBreakerOptions {
  /** The meter to create the instruments on. */
  readonly meter: Meter
  /** The breaker's `conmap.breaker.name` attribute. */
  readonly name: string
}

/**
 * Creates the breaker's observable instruments on the meter: `conmap.breaker.state`
 * (0 closed, 1 open, 2 half-open), `conmap.breaker.transitions`, and the window's
 * `conmap.breaker.window.calls` and `.failures`; returns a function that stops reporting them.
 * @throws ConmapError ERR_INVALID_ARGUMENT for a missing meter, breaker or name
 * @example
 * ```ts
 * import { registerBreaker } from 'conmap/otel'
 * registerBreaker(sessions.breaker, { meter: metrics.getMeter('my-service'), name: 'sessions' })
 * ```
 */
export function registerBreaker(breaker: MeasuredBreaker, options: OtelBreakerOptions): () => void {
  if (typeof options?.meter?.addBatchObservableCallback !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, 'registerBreaker needs { meter, name }: meter an OpenTelemetry Meter')
  const { meter } = options
  const name = breakerOptions(breaker, options)
  const state = meter.createObservableGauge('conmap.breaker.state', { unit: '1', description: 'Circuit breaker state: 0 closed, 1 open, 2 half-open (the same in every thread)' })
  const transitions = meter.createObservableCounter('conmap.breaker.transitions', { unit: '{transition}', description: 'Circuit breaker state changes since it was made (mod 2^30)' })
  const calls = meter.createObservableGauge('conmap.breaker.window.calls', { unit: '{call}', description: 'Calls in the window of the current closed period (counted only with failureRate on)' })
  const failures = meter.createObservableGauge('conmap.breaker.window.failures', { unit: '{call}', description: 'Failed calls in the window of the current closed period' })
  const observables = [state, transitions, calls, failures]
  const attributes: Attributes = { 'conmap.breaker.name': name }
  const callback: BatchObservableCallback = (result) => {
    const v = breakerValues(breaker)
    result.observe(state, v.state, attributes)
    result.observe(transitions, v.transitions, attributes)
    result.observe(calls, v.windowCalls, attributes)
    result.observe(failures, v.windowFailures, attributes)
  }
  meter.addBatchObservableCallback(callback, observables)
  return () => meter.removeBatchObservableCallback(callback, observables)
}

/**
 * The series of a CircuitBreaker (src/guard/breaker.ts), for both adapters: its
 * state and its transitions, read from the breaker's shared memory at each scrape
 * (breaker.stats(), no lock), so every thread's registry shows the one breaker all
 * threads share.
 */
import { conmapError, ErrorCode } from '../errors/index.js'
import type { BreakerState, BreakerStats } from '../guard/breaker.js'
import type { SeriesSpec } from './series.js'

/** Every series registerBreaker exports (conmap/prometheus). */
export const BREAKER_SERIES = {
  state: { name: 'conmap_breaker_state', type: 'gauge', help: 'Circuit breaker state: 0 closed, 1 open, 2 half-open (the same in every thread)', labels: ['breaker'] },
  transitions: { name: 'conmap_breaker_transitions_total', type: 'counter', help: 'Circuit breaker state changes since it was made (mod 2^30)', labels: ['breaker'] },
  windowCalls: { name: 'conmap_breaker_window_calls', type: 'gauge', help: 'Calls in the breaker window of the current closed period (counted only with failureRate on)', labels: ['breaker'] },
  windowFailures: { name: 'conmap_breaker_window_failures', type: 'gauge', help: 'Failed calls in the breaker window of the current closed period', labels: ['breaker'] },
} as const satisfies Record<string, SeriesSpec>

/** The gauge value of each state, as conmap_breaker_state and conmap.breaker.state report it. */
export const BREAKER_STATE_VALUE: Readonly<Record<BreakerState, number>> = { closed: 0, open: 1, halfOpen: 2 }

/** What the adapters read: a CircuitBreaker, or guard()'s `breaker`. */
export interface MeasuredBreaker {
  stats(): BreakerStats
}

/** The breaker's label; throws ERR_INVALID_ARGUMENT for a bad breaker or name. */
export function breakerOptions(breaker: MeasuredBreaker, options: { readonly name?: unknown } | undefined): string {
  if (typeof breaker?.stats !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, 'registerBreaker needs a CircuitBreaker (or a guarded map\'s breaker)')
  const name = options?.name
  if (typeof name !== 'string' || name === '') throw conmapError(ErrorCode.INVALID_ARGUMENT, 'registerBreaker needs a non-empty name (the breaker label)')
  return name
}

/** The values of one breaker's series now. */
export function breakerValues(breaker: MeasuredBreaker): Record<keyof typeof BREAKER_SERIES, number> {
  const s = breaker.stats()
  return { state: BREAKER_STATE_VALUE[s.state], transitions: s.generation, windowCalls: s.calls, windowFailures: s.failures }
}

/**
 * registerBreaker for conmap/prometheus: a registry's breakers under one collector
 * per series of breaker-series.ts, told apart by their `breaker` label.
 */
import type { Registry } from 'prom-client'
import { conmapError, ErrorCode } from '../errors/index.js'
import { BREAKER_SERIES, breakerOptions, breakerValues, type MeasuredBreaker } from './breaker-series.js'

export interface PrometheusBreakerOptions {
  /** The prom-client registry to add the collectors to. */
  readonly registry: Registry
  /** The breaker's `breaker` label: unique per registry. */
  readonly name: string
}

const byRegistry = new WeakMap<Registry, Map<string, MeasuredBreaker>>()

/**
 * Adds the breaker's series to the registry (`conmap_breaker_state{breaker}` 0
 * closed, 1 open, 2 half-open; `conmap_breaker_transitions_total`; the window's
 * calls and failures); returns a function that removes them. The values are read
 * from the breaker's shared memory at each scrape, so any thread's registry shows
 * the state every thread sees.
 * @throws ConmapError ERR_INVALID_ARGUMENT for a missing registry, breaker or name,
 *   or a name already registered in this registry
 * @example
 * ```ts
 * import { registerBreaker } from 'conmap/prometheus'
 * const sessions = guard(map, { name: 'sessions', breaker: { failures: 5 } })
 * registerBreaker(sessions.breaker, { registry, name: 'sessions' })
 * ```
 */
export function registerBreaker(breaker: MeasuredBreaker, options: PrometheusBreakerOptions): () => void {
  if (typeof options?.registry?.registerMetric !== 'function') throw conmapError(ErrorCode.INVALID_ARGUMENT, 'registerBreaker needs { registry, name }: registry a prom-client Registry')
  const { registry } = options
  const name = breakerOptions(breaker, options)
  let breakers = byRegistry.get(registry)
  if (breakers === undefined) {
    breakers = install(registry)
    byRegistry.set(registry, breakers)
  }
  if (breakers.has(name)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `a breaker named '${name}' is already registered in this registry`)
  breakers.set(name, breaker)
  const installed = breakers
  return () => {
    if (installed.get(name) !== breaker) return
    installed.delete(name)
    if (installed.size > 0) return
    for (const spec of Object.values(BREAKER_SERIES)) registry.removeSingleMetric(spec.name)
    byRegistry.delete(registry)
  }
}

function install(registry: Registry): Map<string, MeasuredBreaker> {
  const breakers = new Map<string, MeasuredBreaker>()
  const specs = Object.entries(BREAKER_SERIES) as Array<[keyof typeof BREAKER_SERIES, (typeof BREAKER_SERIES)[keyof typeof BREAKER_SERIES]]>
  const taken = specs.find(([, spec]) => registry.getSingleMetric(spec.name) !== undefined)
  if (taken !== undefined) throw conmapError(ErrorCode.INVALID_ARGUMENT, `the registry already has a metric named ${taken[1].name}`)
  for (const [id, spec] of specs) {
    const get = async () => ({
      name: spec.name,
      help: spec.help,
      type: spec.type,
      aggregator: 'sum',
      values: [...breakers].map(([breaker, source]) => ({ labels: { breaker }, value: breakerValues(source)[id] })),
    })
    const collector = { name: spec.name, help: spec.help, type: spec.type, aggregator: 'sum', get, reset: () => undefined }
    registry.registerMetric(collector as unknown as Parameters<Registry['registerMetric']>[0])
  }
  return breakers
}

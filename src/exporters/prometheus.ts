/**
 * conmap/prometheus: a map's metrics as prom-client collectors (prom-client is an
 * optional peer dependency). The collectors hold no values: at each scrape they read
 * the map's shared memory (map.metrics(), map.hotKeys()), which every thread writes,
 * so the one registry of any thread exposes one set of series for all threads, with
 * no aggregator and no messages between workers (prom-client's own metrics are per
 * thread: siimon/prom-client#401). Several maps share a registry's series under
 * their `map` label. The series are those of series.ts.
 */
import type { Registry } from 'prom-client'
import { conmapError, ErrorCode } from '../errors/index.js'
import { adapterOptions, type MeasuredMap } from './options.js'
import { SERIES, samplesOf, type Sample, type SeriesSpec } from './series.js'

export type { MeasuredMap } from './options.js'

export interface PrometheusOptions {
  /** The prom-client registry to add the collectors to. */
  readonly registry: Registry
  /** The map's `map` label: unique per registry. */
  readonly name: string
  /**
   * Most used keys to export as `conmap_map_hot_key_calls{key}` at each scrape (0:
   * none). Keys become label values: lower it, or 0, for keys that must not leave
   * the process. Finding the keys reads the map: under 'none' a scrape must not
   * overlap a write, so the default there is 0.
   * @default 10 (0 under 'none')
   */
  readonly hotKeys?: number | undefined
}

interface Source {
  readonly map: MeasuredMap
  readonly hotKeys: number
}

/** The collectors of one registry, and the maps they read. */
interface Collectors {
  readonly sources: Map<string, Source>
  readonly names: readonly string[]
}

const byRegistry = new WeakMap<Registry, Collectors>()

/**
 * Adds the map's series to the registry; returns a function that removes them
 * (the collectors go once no map is left in the registry).
 * @throws ConmapError ERR_INVALID_ARGUMENT for a missing registry or name, a name
 *   already registered in this registry, a bad hotKeys, or a map made without metrics
 * @example
 * ```ts
 * import { Registry } from 'prom-client'
 * import { registerMetrics } from 'conmap/prometheus'
 * const registry = new Registry()
 * const sessions = new SharedMap({ metrics: true })
 * registerMetrics(sessions, { registry, name: 'sessions' })
 * // serve `await registry.metrics()` on /metrics
 * ```
 */
export function registerMetrics(map: MeasuredMap, options: PrometheusOptions): () => void {
  if (typeof options !== 'object' || options === null || typeof options.registry?.registerMetric !== 'function') {
    throw conmapError(ErrorCode.INVALID_ARGUMENT, 'registerMetrics needs { registry, name }: registry a prom-client Registry')
  }
  const { registry } = options
  const { name, hotKeys } = adapterOptions(map, options, 'the map label')
  let collectors = byRegistry.get(registry)
  if (collectors === undefined) {
    collectors = install(registry)
    byRegistry.set(registry, collectors)
  }
  if (collectors.sources.has(name)) throw conmapError(ErrorCode.INVALID_ARGUMENT, `a map named '${name}' is already registered in this registry`)
  collectors.sources.set(name, { map, hotKeys })
  const installed = collectors
  return () => {
    if (installed.sources.get(name)?.map !== map) return
    installed.sources.delete(name)
    if (installed.sources.size > 0) return
    for (const series of installed.names) registry.removeSingleMetric(series)
    byRegistry.delete(registry)
  }
}

/** One collector per series; a scrape reads each map once for all of them. */
function install(registry: Registry): Collectors {
  const sources = new Map<string, Source>()
  let reading: Array<Record<keyof typeof SERIES, Sample[]>> | undefined
  // A scrape calls every collector's get() in one synchronous pass (Registry.metrics),
  // so the reading is shared by that pass and dropped at its end.
  const read = (): Array<Record<keyof typeof SERIES, Sample[]>> => {
    if (reading === undefined) {
      reading = [...sources].map(([name, { map, hotKeys }]) => samplesOf(name, map.metrics(), hotKeys === 0 ? [] : map.hotKeys(hotKeys)))
      queueMicrotask(() => (reading = undefined))
    }
    return reading
  }
  const specs = Object.entries(SERIES) as Array<[keyof typeof SERIES, SeriesSpec]>
  const taken = specs.find(([, spec]) => registry.getSingleMetric(spec.name) !== undefined)
  if (taken !== undefined) throw conmapError(ErrorCode.INVALID_ARGUMENT, `the registry already has a metric named ${taken[1].name}`)
  const names: string[] = []
  for (const [id, spec] of specs) {
    const collector = {
      name: spec.name,
      help: spec.help,
      type: spec.type,
      aggregator: 'sum',
      get: async () => ({ name: spec.name, help: spec.help, type: spec.type, aggregator: 'sum', values: read().flatMap((samples) => samples[id]) }),
      reset: () => undefined,
    }
    registry.registerMetric(collector as unknown as Parameters<Registry['registerMetric']>[0])
    names.push(spec.name)
  }
  return { sources, names }
}

export { SERIES, type SeriesSpec, type SeriesType } from './series.js'
export { grafanaDashboard } from './dashboard.js'
export { registerBreaker, type PrometheusBreakerOptions } from './prometheus-breaker.js'
export { BREAKER_SERIES, BREAKER_STATE_VALUE, type MeasuredBreaker } from './breaker-series.js'

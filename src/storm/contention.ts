/**
 * The storm's contention figures (--metrics): lock-wait percentiles by mode and the
 * hottest keys, read from the map's metrics after the workers stopped and before
 * the verification probe, so they cover the storm's own operations in every worker
 * (killed ones included: their counts stay in their rows).
 */
import { lockWaitSummary, type LockWaitSummary } from '../metrics/summary.js'
import type { SharedMap } from '../map/index.js'

/** Hot keys shown. */
const HOT_KEYS = 5

export interface StormContention {
  /** Lock acquisitions and wait percentiles (µs, bucket upper bounds; null in JSON past ~1 s) by mode. */
  readonly lockWaits: { readonly read: LockWaitSummary; readonly write: LockWaitSummary }
  /** Lock acquisitions that gave up (ERR_LOCK_TIMEOUT). */
  readonly lockTimeouts: number
  /** The most used keys, estimated from the sampled hot-key summaries; null when the map could not be read (poisoned). */
  readonly hotKeys: ReadonlyArray<{ readonly key: string; readonly count: number }> | null
}

export function contentionOf(map: SharedMap<string, unknown>): StormContention {
  const m = map.metrics()
  let hotKeys: StormContention['hotKeys'] = null
  try {
    // Reads the map like get(): the workers have stopped, so even 'none' has no writer beside it.
    hotKeys = map.hotKeys(HOT_KEYS).map(({ key, count }) => ({ key: String(key), count }))
  } catch {
    // A poisoned map refuses reads; its violation is reported already.
  }
  return { lockWaits: { read: lockWaitSummary(m.lockWaits.read), write: lockWaitSummary(m.lockWaits.write) }, lockTimeouts: m.lockTimeouts, hotKeys }
}

/** The report's lines for people. */
export function formatContention(c: StormContention, int: (n: number) => string): string[] {
  const us = (n: number): string => (n === Infinity ? '>1 s' : n >= 1000 ? `${(n / 1000).toFixed(n >= 10_000 ? 0 : 1)} ms` : `${n.toFixed(0)} µs`).padStart(8)
  const lines = [`  ${'lock wait (≤ µs)'.padEnd(19)}${'acquired'.padStart(11)} ${'waited'.padStart(11)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'p99.9'.padStart(8)}`]
  for (const mode of ['read', 'write'] as const) {
    const w = c.lockWaits[mode]
    if (w.count > 0) lines.push(`    ${mode.padEnd(16)} ${int(w.count).padStart(11)} ${int(w.waited).padStart(11)} ${us(w.p50)} ${us(w.p99)} ${us(w.p999)}`)
  }
  if (c.lockWaits.read.count + c.lockWaits.write.count === 0) lines.push('    none (no operation took a lock)')
  if (c.lockTimeouts > 0) lines.push(`    timeouts ${int(c.lockTimeouts)}`)
  const hot = c.hotKeys === null ? 'not read (the map refuses reads)' : c.hotKeys.length === 0 ? 'none' : c.hotKeys.map(({ key, count }) => `${key} ~${int(count)}`).join(', ')
  lines.push(`  hot keys     ${hot}`)
  return lines
}

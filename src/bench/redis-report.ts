/**
 * The Redis section as text: per operation and callers, each contender's ops/s, p50 and
 * p99 per call and its time per call over raw node-redis's; in the table of a whole run
 * and alone (`conmap bench --only redis`). A skipped section prints why.
 */
import { table } from '../cli/terminal.js'
import { formatNs, indent, times } from './format.js'
import { describeShortly } from './machine.js'
import type { RedisBenchResult, RedisSection } from './redis-result.js'

const rate = (n: number | null) => (n === null ? '-' : Math.round(n).toLocaleString('en-US'))

export function renderRedisSection(section: RedisSection): string[] {
  if (section.skipped !== undefined) return [`Redis: SKIPPED, ${section.skipped}`]
  const body = section.rows.map((r) => [r.op, String(r.callers), r.label, ...(r.error !== undefined ? ['FAILED', '', '', ''] : [rate(r.opsPerSec), formatNs(r.p50Ns), formatNs(r.p99Ns), r.contender === 'raw' ? '1' : times(r.costVsRaw)])])
  return [
    `Redis: RedisMap against raw node-redis and redis-benchmark on one server (${section.server ?? 'redis-server'}), by concurrent callers`,
    indent(table(['op', 'callers', 'contender', 'ops/s', 'p50', 'p99', 'x raw'], body)),
    '',
    '  Redis notes',
    ...section.notes.map((note) => `  - ${note}`),
  ]
}

export function renderRedisReport(result: RedisBenchResult): string {
  const out = [`conmap bench --only redis (${result.mode}), ${result.seconds} s: ${result.command}`, `machine: ${describeShortly(result.machine)}`, '', ...renderRedisSection(result.redis)]
  const failed = result.redis.rows.filter((r) => r.error !== undefined)
  if (failed.length > 0) out.push('', 'FAILED measurements (no figure reported):', ...failed.map((r) => `  ${r.op} ${r.callers} ${r.label}: ${r.error ?? ''}`))
  return `${out.join('\n')}\n`
}

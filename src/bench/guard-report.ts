/**
 * The guard section as text: ns per get and set of each variant and its ratio to
 * the bare map in the same rounds; in the table of a whole run and alone
 * (`conmap bench --only guard`).
 */
import { table } from '../cli/terminal.js'
import { formatNs, indent, times } from './format.js'
import { GUARD_OPS } from './guard-loops.js'
import { describeShortly } from './machine.js'
import type { GuardBenchResult, GuardSection } from './result.js'

export function renderGuardSection(section: GuardSection): string[] {
  const keys = section.rows[0]?.keys
  const body = section.rows.map((r) => [r.label, ...GUARD_OPS.map((op) => (r.error !== undefined ? 'FAILED' : `${formatNs(r.ns[op])} (${times(r.ratio[op])})`))])
  return [
    `Guard and metrics cost, one thread: ns per operation on present keys${keys === undefined ? '' : `, ${keys.toLocaleString('en-US')} keys`} (x the bare map, in the same rounds)`,
    indent(table(['variant', ...GUARD_OPS], body)),
    '',
    '  Guard notes',
    ...section.notes.map((note) => `  - ${note}`),
  ]
}

export function renderGuardReport(result: GuardBenchResult): string {
  const out = [`conmap bench --only guard (${result.mode}), ${result.seconds} s: ${result.command}`, `machine: ${describeShortly(result.machine)}`, '', ...renderGuardSection(result.guard)]
  const failed = result.guard.rows.filter((r) => r.error !== undefined)
  if (failed.length > 0) out.push('', 'FAILED measurements (no figure reported):', ...failed.map((r) => `  ${r.label}: ${r.error ?? ''}`))
  return `${out.join('\n')}\n`
}

/**
 * The Redis storm's report: what ran, how fast, what failed, and the verdict, as plain
 * data (`--json` prints it as it is); `formatRedisStormReport` prints it for people.
 *
 * Not violations: ERR_REDIS_INDETERMINATE (a reply lost; the call is checked as
 * pending, and counted) and ERR_CONFLICT (update's bounded retries lost every race; it
 * wrote nothing). Any other failed call is a violation, and so is a history that is
 * not linearizable.
 */
import type { HistoryCheckResult, Operation } from '../../check/index.js'
import { ErrorCode } from '../../errors/index.js'
import { formatMix, STORM_OPS, type StormOp } from '../mix.js'
import { counterexampleOf, type Counterexample, type StormRunFigures } from '../report.js'
import type { RedisClientKind, RedisStormOptions } from './options.js'

export interface RedisStormReport extends StormRunFigures {
  /** False when any violation was found. */
  readonly ok: boolean
  /** One line per violation; empty when ok. */
  readonly violations: readonly string[]
  /** Doubts that are not violations (an undecided check). */
  readonly warnings: readonly string[]
  readonly backend: 'redis'
  readonly url: string
  readonly cluster: boolean
  readonly client: RedisClientKind
  /** The server-side name of the storm's map (cleared at the end). */
  readonly map: string
  readonly workers: number
  /** Concurrent callers per worker. */
  readonly tasks: number
  readonly keys: number
  readonly mix: string
  /** Calls that failed with ERR_REDIS_INDETERMINATE: they may or may not have happened. */
  readonly indeterminate: number
  /** Whether the history was checked (--check). */
  readonly check: boolean
  /** null without --check, or when the search ran out of time. */
  readonly linearizable: boolean | null
  /** Operations recorded (every call with --check), pending ones included. */
  readonly operationsRecorded: number
  /** Recorded calls that failed, checked as pending. */
  readonly pendingOperations: number
  readonly operationsChecked: number
  readonly keysChecked: number
  /** The minimal non-linearizable history of the first failing key. */
  readonly counterexample?: Counterexample
}

export interface RedisStormFindings {
  readonly options: RedisStormOptions
  readonly map: string
  readonly elapsed: number
  readonly opsByType: Readonly<Record<StormOp, number>>
  readonly errors: Readonly<Record<string, number>>
  readonly errorSamples: Readonly<Record<string, string>>
  readonly history: readonly Operation[]
  readonly check: HistoryCheckResult | undefined
}

const EXPECTED: ReadonlySet<string> = new Set([ErrorCode.REDIS_INDETERMINATE, ErrorCode.CONFLICT])

export function buildRedisReport(f: RedisStormFindings): RedisStormReport {
  const { options, check } = f
  const ops = STORM_OPS.reduce((sum, op) => sum + f.opsByType[op], 0)
  const violations: string[] = []
  const warnings: string[] = []
  for (const [code, count] of Object.entries(f.errors)) {
    if (!EXPECTED.has(code)) violations.push(`${count} operation(s) failed with ${code}: ${f.errorSamples[code] ?? 'no message'}`)
  }
  if (check?.linearizable === false) violations.push(`the history of key ${String(check.failure?.key)} is not linearizable`)
  if (check !== undefined && check.linearizable === null) warnings.push(`the linearizability check ran out of its ${options.checkTimeout} s budget undecided`)
  const failure = check?.failure
  return {
    ok: violations.length === 0,
    violations,
    warnings,
    backend: 'redis',
    url: redactUrl(options.url),
    cluster: options.cluster,
    client: options.client,
    map: f.map,
    workers: options.workers,
    tasks: options.tasks,
    keys: options.keys,
    mix: formatMix(options.mix),
    seed: options.seed,
    duration: options.duration,
    elapsed: f.elapsed,
    ops,
    opsPerSec: f.elapsed > 0 ? ops / f.elapsed : 0,
    opsByType: f.opsByType,
    errors: f.errors,
    errorSamples: f.errorSamples,
    indeterminate: f.errors[ErrorCode.REDIS_INDETERMINATE] ?? 0,
    check: options.check,
    linearizable: check?.linearizable ?? null,
    operationsRecorded: f.history.length,
    pendingOperations: f.history.filter((op) => op.ret === undefined).length,
    operationsChecked: check?.operationsChecked ?? 0,
    keysChecked: check?.keysChecked ?? 0,
    ...(failure === undefined ? {} : { counterexample: counterexampleOf(failure) }),
  }
}

/** A report is printed and logged: the URL's password is not. */
function redactUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      const u = new URL(one)
      if (u.password !== '') u.password = '***'
      return u.href
    })
    .join(',')
}

export function formatRedisStormReport(r: RedisStormReport): string {
  const lines: string[] = []
  const int = (n: number) => Math.round(n).toLocaleString('en-US')
  const where = `${r.cluster ? 'cluster' : 'server'} ${r.url}`
  lines.push(`conmap storm --backend redis: ${where} via ${r.client}, ${r.workers} worker(s) × ${r.tasks} task(s), ${r.duration} s, ${r.keys} keys, mix ${r.mix}, seed ${r.seed}`)
  lines.push(`  map          ${r.map} (cleared after the storm)`)
  lines.push(`  operations   ${int(r.ops)} in ${r.elapsed.toFixed(2)} s: ${int(r.opsPerSec)} ops/s`)
  for (const op of STORM_OPS) if (r.opsByType[op] > 0) lines.push(`    ${op.padEnd(16)} ${int(r.opsByType[op]).padStart(11)}`)
  const errors = Object.entries(r.errors)
  lines.push(`  errors       ${errors.length === 0 ? 'none' : errors.map(([code, n]) => `${code} ×${int(n)}`).join(', ')}`)
  for (const [code] of errors) lines.push(`                 ${code}: ${r.errorSamples[code] ?? ''}`)
  lines.push(`  indeterminate ${int(r.indeterminate)} (checked as pending)`)
  if (!r.check) lines.push('  check        off (--check checks the history for linearizability, per key)')
  else {
    const verdict = r.linearizable === null ? 'undecided' : r.linearizable ? 'linearizable' : 'NOT linearizable'
    lines.push(`  check        ${verdict}: ${int(r.operationsChecked)} operations on ${int(r.keysChecked)} key(s) checked, ${int(r.operationsRecorded)} recorded, ${int(r.pendingOperations)} pending`)
  }
  if (r.counterexample !== undefined) {
    lines.push(`  counter-example on key ${String(r.counterexample.key)}:`)
    for (const line of r.counterexample.text.split('\n')) lines.push(`    ${line}`)
  }
  for (const warning of r.warnings) lines.push(`  warning      ${warning}`)
  lines.push(`  result       ${r.ok ? 'PASS' : 'FAIL'}`)
  for (const violation of r.violations) lines.push(`    - ${violation}`)
  return lines.join('\n') + '\n'
}

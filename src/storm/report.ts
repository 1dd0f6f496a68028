/**
 * The storm report: what ran, how fast, what failed, and the verdict. `buildReport`
 * decides the violations (anything that proves a bug, or a misuse under 'none');
 * `formatStormReport` prints it for people. The report is plain data: `--json`
 * prints it as it is.
 */
import { formatHistory, type HistoryCheckResult, type Key, type Operation } from '../check/index.js'
import { ErrorCode } from '../errors/index.js'
import type { Concurrency } from '../map/index.js'
import type { LostWrite } from './acked-writes.js'
import type { BufferGrowth } from './growth.js'
import { FINAL_READER } from './history-store.js'
import { formatMix, STORM_OPS, type StormOp } from './mix.js'
import { isCacheStorm, type StormOptions } from './options.js'
import type { ProbeResult } from './storm-probe.js'
import type { LatencySummary, Totals } from './totals.js'
import { formatContention, type StormContention } from './contention.js'

/** A key whose history is not linearizable: its operations, the culprit where one was found, and the history drawn. */
export interface Counterexample {
  readonly key: Key
  readonly operations: readonly Operation[]
  readonly culprit?: Operation
  readonly text: string
}

export function counterexampleOf(failure: { readonly key: Key; readonly operations: readonly Operation[]; readonly culprit?: Operation | undefined }): Counterexample {
  return { key: failure.key, operations: failure.operations, ...(failure.culprit === undefined ? {} : { culprit: failure.culprit }), text: formatHistory(failure.operations) }
}

/** What every storm reports of its run, on SharedMap and on Redis alike. */
export interface StormRunFigures {
  /** The seed that replays this storm's operation streams. */
  readonly seed: number
  /** Seconds asked for, and seconds the workers actually ran. */
  readonly duration: number
  readonly elapsed: number
  /** Operations done (answered or failed). */
  readonly ops: number
  readonly opsPerSec: number
  readonly opsByType: Readonly<Record<StormOp, number>>
  /** Failed operations by error code ('other' for errors without a conmap code). */
  readonly errors: Readonly<Record<string, number>>
  /** The first message seen for each code in `errors`. */
  readonly errorSamples: Readonly<Record<string, string>>
}

export interface StormReport extends StormRunFigures {
  /** False when any violation was found. */
  readonly ok: boolean
  /** One line per violation; empty when ok. */
  readonly violations: readonly string[]
  /** Doubts that are not violations (an undecided check, an interrupted run). */
  readonly warnings: readonly string[]
  readonly concurrency: Concurrency
  readonly workers: number
  /** Shards of the map (one lock for all of them under 'rwmutex', 'mutex' and 'none'). */
  readonly shards: number
  readonly keys: number
  readonly mix: string
  readonly valueSize: number
  /** Whether the storm kept the map's buffer growing (--grow). */
  readonly grow: boolean
  /** The map's buffer: its size before and after the storm, and how often it grew meanwhile. */
  readonly buffer: BufferGrowth
  readonly latencyUnit: 'us'
  /** Per operation that ran: count and p50/p99/p99.9/max latency in µs. */
  readonly latency: Readonly<Partial<Record<StormOp, LatencySummary>>>
  /** Whether histories were checked (--check). */
  readonly check: boolean
  /** null without --check, or when the search ran out of time. */
  readonly linearizable: boolean | null
  readonly operationsChecked: number
  readonly keysChecked: number
  /** Operations recorded (with --check or --kill), pending ones included. */
  readonly operationsRecorded: number
  /** Recorded operations in flight at a kill: they may or may not have happened. */
  readonly pendingOperations: number
  /** Seconds into the run after which nothing was recorded (one key outgrew --check-limit); null when histories are complete. */
  readonly historyCutAt: number | null
  /** The minimal non-linearizable history of the first failing key. */
  readonly counterexample?: Counterexample
  readonly kills: number
  /** Keys whose final state lost an acknowledged write; null when not verified (no recording, or a poisoned map). */
  readonly lostAckedWrites: number | null
  /** The first few lost writes, explained. */
  readonly lostWrites?: ReadonlyArray<{ readonly key: Key; readonly final: unknown; readonly present: boolean; readonly text: string }>
  readonly invariantViolations: number
  readonly invariantErrors: readonly string[]
  /** Workers or the verification probe that made no progress within --stall-timeout. */
  readonly deadlocks: readonly string[]
  /** Misuse detections (ERR_CONCURRENT_MAP_*): expected under 'none' with two writers, violations all the same. */
  readonly misuse: readonly string[]
  /** Shard repairs after dead lock holders, from stats(); null when not read. */
  readonly recoveries: number | null
  /** Whether the run was stopped early (AbortSignal, Ctrl-C). */
  readonly interrupted: boolean
  /** Lock-wait percentiles and hot keys (--metrics); null without. */
  readonly contention: StormContention | null
  /** How the storm's cache map was made and what its entries went through; null for a plain map. */
  readonly cache: CacheReport | null
}

export interface CacheReport {
  /** --ttl in ms; null when entries never expire. */
  readonly ttl: number | null
  /** --max-entries; null when unbounded. */
  readonly maxEntries: number | null
  /** --max-bytes; null when not given. */
  readonly maxBytes: number | null
  /** Entries the map expired and evicted (its stats()); null when not read (a poisoned map). */
  readonly expirations: number | null
  readonly evictions: number | null
  /** Recorded reads that found a key absent that only a vanish explains (vanished.ts); null when nothing was recorded. */
  readonly vanishedReads: number | null
}

export interface StormFindings {
  readonly options: StormOptions
  readonly shards: number
  readonly elapsed: number
  readonly totals: Totals
  readonly errorSamples: ReadonlyMap<string, string>
  readonly kills: number
  readonly buffer: BufferGrowth
  readonly interrupted: boolean
  readonly crashes: readonly string[]
  readonly deadlocks: readonly string[]
  readonly probe: ProbeResult | undefined
  readonly check: HistoryCheckResult | undefined
  readonly recorded: { readonly operations: number; readonly pending: number; readonly cutAt: number | null } | undefined
  readonly lost: readonly LostWrite[] | null
  readonly vanishedReads: number | null
  readonly contention: StormContention | undefined
}

const MISUSE: ReadonlySet<string> = new Set([ErrorCode.CONCURRENT_MAP_WRITES, ErrorCode.CONCURRENT_MAP_READ_WRITE, ErrorCode.CONCURRENT_MAP_ITERATION_WRITE])
/** Failures that follow from another one and are not violations of their own. */
const CONSEQUENCES: ReadonlySet<string> = new Set([ErrorCode.MAP_POISONED])
const LOST_WRITES_SHOWN = 5

export function buildReport(f: StormFindings): StormReport {
  const { options, totals, probe, check } = f
  const { ops } = totals.progress([])
  const errors = totals.errors()
  const errorSamples = Object.fromEntries(f.errorSamples)
  const violations: string[] = []
  const warnings: string[] = []
  const misuse = Object.keys(errors).filter((code) => MISUSE.has(code))
  if (misuse.length > 0) {
    violations.push(`misuse detected under '${options.concurrency}': ${misuse.map((code) => `${code} (${errorSamples[code] ?? code})`).join(', ')}`)
  }
  for (const [code, count] of Object.entries(errors)) {
    if (MISUSE.has(code) || CONSEQUENCES.has(code)) continue
    violations.push(`${count} operation(s) failed with ${code}: ${errorSamples[code] ?? 'no message'}`)
  }
  violations.push(...f.crashes, ...f.deadlocks.map((d) => `deadlock: ${d}`))
  if (check?.linearizable === false) violations.push(`history not linearizable on key ${String(check.failure?.key)}`)
  if (check !== undefined && check.linearizable === null) warnings.push(`the linearizability check ran out of its ${options.checkTimeout} s budget undecided`)
  const cache = cacheReport(f)
  if (f.lost !== null && f.lost.length > 0) {
    violations.push(cache === null ? `${f.lost.length} key(s) lost an acknowledged write` : `${f.lost.length} key(s) end holding a value no write left there (never written, or back after it vanished)`)
  }
  const invariantErrors = probe?.invariantErrors ?? []
  if (invariantErrors.length > 0) violations.push(`checkInvariants() failed: ${invariantErrors[0]}`)
  if (probe !== undefined && probe.refused === undefined && probe.shardsWritten < probe.shards) {
    violations.push(`only ${probe.shardsWritten} of ${probe.shards} shards took a write after the storm`)
  }
  if (probe?.refused !== undefined && misuse.length === 0) violations.push(`the map refused to be read after the storm: ${probe.refused}`)
  if (f.interrupted) warnings.push('interrupted before the deadline')
  if (f.recorded?.cutAt !== null && f.recorded?.cutAt !== undefined) {
    warnings.push(`one key outgrew --check-limit: operations after ${f.recorded.cutAt.toFixed(2)} s were not recorded and the final state was not compared (raise --check-limit to record more)`)
  }
  const failure = check?.failure
  return {
    ok: violations.length === 0,
    violations,
    warnings,
    concurrency: options.concurrency,
    workers: options.workers,
    shards: f.shards,
    keys: options.keys,
    mix: formatMix(options.mix),
    valueSize: options.valueSize,
    grow: options.grow,
    buffer: f.buffer,
    seed: options.seed,
    duration: options.duration,
    elapsed: f.elapsed,
    ops,
    opsPerSec: f.elapsed > 0 ? Math.round(ops / f.elapsed) : 0,
    opsByType: totals.opsByType(),
    errors,
    errorSamples,
    latencyUnit: 'us',
    latency: totals.latency(),
    contention: f.contention ?? null,
    check: options.check,
    linearizable: check?.linearizable ?? null,
    operationsChecked: check?.operationsChecked ?? 0,
    keysChecked: check?.keysChecked ?? 0,
    operationsRecorded: f.recorded?.operations ?? 0,
    pendingOperations: f.recorded?.pending ?? 0,
    historyCutAt: f.recorded?.cutAt ?? null,
    ...(failure === undefined ? {} : { counterexample: counterexampleOf(failure) }),
    kills: f.kills,
    lostAckedWrites: f.lost === null ? null : f.lost.length,
    ...(f.lost === null || f.lost.length === 0
      ? {}
      : {
          lostWrites: f.lost.slice(0, LOST_WRITES_SHOWN).map((lost) => ({
            key: lost.key,
            final: lost.final,
            present: lost.present,
            text: formatHistory(lost.candidates),
          })),
        }),
    invariantViolations: invariantErrors.length,
    invariantErrors,
    deadlocks: f.deadlocks,
    misuse,
    recoveries: probe?.refused === undefined ? (probe?.recoveries ?? null) : null,
    interrupted: f.interrupted,
    cache,
  }
}

function cacheReport(f: StormFindings): CacheReport | null {
  const { ttl, maxEntries, maxBytes } = f.options
  if (!isCacheStorm(f.options)) return null
  const read = f.probe !== undefined && f.probe.refused === undefined
  return {
    ttl: ttl ?? null,
    maxEntries: maxEntries ?? null,
    maxBytes: maxBytes ?? null,
    expirations: read ? f.probe.expirations : null,
    evictions: read ? f.probe.evictions : null,
    vanishedReads: f.vanishedReads,
  }
}

export function formatStormReport(r: StormReport): string {
  const lines: string[] = []
  const int = (n: number) => Math.round(n).toLocaleString('en-US')
  const size = r.grow ? `value size ${r.valueSize} and growing` : `value size ${r.valueSize}`
  lines.push(`conmap storm: '${r.concurrency}', ${r.workers} worker(s), ${r.shards} shard(s), ${r.duration} s, ${r.keys} keys, mix ${r.mix}, ${size}, seed ${r.seed}`)
  lines.push(`  operations   ${int(r.ops)} in ${r.elapsed.toFixed(2)} s: ${int(r.opsPerSec)} ops/s`)
  const { initialBytes, finalBytes, growths, growthTimes } = r.buffer
  const when = growthTimes.length === 0 ? '' : ` (${growthTimes.map((t) => t.toFixed(2)).join(', ')} s)`
  lines.push(`  buffer       ${int(initialBytes)} → ${int(finalBytes)} bytes: grew ${growths} time(s)${when}`)
  lines.push(`  ${'latency (µs)'.padEnd(19)}${'count'.padStart(11)} ${'p50'.padStart(8)} ${'p99'.padStart(8)} ${'p99.9'.padStart(8)} ${'max'.padStart(8)}`)
  for (const op of STORM_OPS) {
    const l = r.latency[op]
    if (l === undefined) continue
    lines.push(`    ${op.padEnd(16)} ${int(l.count).padStart(11)} ${fixed(l.p50)} ${fixed(l.p99)} ${fixed(l.p999)} ${fixed(l.max)}`)
  }
  const errors = Object.entries(r.errors)
  if (r.contention !== null) lines.push(...formatContention(r.contention, int))
  lines.push(`  errors       ${errors.length === 0 ? 'none' : errors.map(([code, n]) => `${code} ×${int(n)}`).join(', ')}`)
  for (const [code] of errors) lines.push(`                 ${code}: ${r.errorSamples[code] ?? ''}`)
  if (r.cache !== null) lines.push(`  cache        ${formatCache(r.cache, int)}`)
  if (r.kills > 0 || r.pendingOperations > 0) lines.push(`  kills        ${r.kills} (${r.pendingOperations} recorded operation(s) in flight, checked as pending)`)
  if (!r.check) {
    const recorded = r.operationsRecorded > 0 ? `; ${int(r.operationsRecorded)} operations recorded for the acknowledged-write check` : ''
    lines.push(`  check        off (--check checks histories for linearizability)${recorded}`)
  } else {
    const verdict = r.linearizable === null ? 'undecided' : r.linearizable ? 'linearizable' : 'NOT linearizable'
    lines.push(`  check        ${verdict}: ${int(r.operationsChecked)} operations on ${int(r.keysChecked)} key(s) checked, ${int(r.operationsRecorded)} recorded`)
  }
  if (r.counterexample !== undefined) {
    const final = r.counterexample.operations.some((op) => op.thread === FINAL_READER) ? ' (t-1 is the final read after the storm)' : ''
    lines.push(`  counter-example on key ${String(r.counterexample.key)}${final}:`)
    for (const line of r.counterexample.text.split('\n')) lines.push(`    ${line}`)
  }
  const state: string[] = []
  state.push(r.lostAckedWrites === null ? 'acknowledged writes not verified' : `lost acknowledged writes ${r.lostAckedWrites}`)
  const unread = r.misuse.length > 0 ? ' (the map is poisoned)' : ''
  state.push(r.invariantViolations === 0 ? (r.recoveries === null ? `invariants not checked${unread}` : 'invariants hold') : `invariant violations ${r.invariantViolations}`)
  if (r.recoveries !== null) state.push(`${r.recoveries} shard recoveries`)
  lines.push(`  final state  ${state.join(', ')}`)
  for (const lost of r.lostWrites ?? []) {
    lines.push(`    ${String(lost.key)} ends ${lost.present ? `as ${JSON.stringify(lost.final)}` : 'absent'}; it should show one of:`)
    for (const line of lost.text.split('\n')) lines.push(`      ${line}`)
  }
  for (const warning of r.warnings) lines.push(`  warning      ${warning}`)
  lines.push(`  result       ${r.ok ? 'PASS' : 'FAIL'}`)
  for (const violation of r.violations) lines.push(`    - ${violation}`)
  return lines.join('\n') + '\n'
}

function formatCache(c: CacheReport, int: (n: number) => string): string {
  const made = [c.ttl === null ? 'no ttl' : `ttl ${int(c.ttl)} ms`, c.maxEntries === null ? 'unbounded' : `at most ${int(c.maxEntries)} entries`, ...(c.maxBytes === null ? [] : [`at most ${int(c.maxBytes)} bytes`])].join(', ')
  const removed = c.expirations === null || c.evictions === null ? 'removals not read' : `${int(c.expirations)} expired, ${int(c.evictions)} evicted`
  const vanished = c.vanishedReads === null ? 'vanished reads not counted (nothing recorded: --check or --kill records)' : `${int(c.vanishedReads)} recorded read(s) found a key vanished`
  return `a cache storm, ${made}: ${removed}; ${vanished}`
}

function fixed(us: number): string {
  return (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2)).padStart(8)
}

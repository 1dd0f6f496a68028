/**
 * `conmap demo` (what `npm start` runs): seed 000's story, told with real workers
 * in under a minute.
 *
 *   1. A plain shared counter: every worker's increments race and updates are lost,
 *      silently. This is JavaScript without conmap.
 *   2. An unprotected SharedMap (concurrency 'none'): one worker is fine ("tests
 *      pass"); several workers trip Go's detector, 'concurrent map writes', and the
 *      map is poisoned rather than corrupted ("panics in production").
 *   3. The same storm under each protection strategy: no update lost, and the
 *      throughput of each, side by side.
 *   4. Async code on one thread: the lost update across `await`, reported by
 *      detectLostUpdates, then fixed with a KeyedMutex (demo-async.ts).
 */
import { Worker } from 'node:worker_threads'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { SharedMap, type Concurrency } from '../index.js'
import type { DemoResult } from './demo-worker.js'
import { lostUpdateAct, type AsyncActReport } from './demo-async.js'
import { formatRate, paint, StatusLine, table, type Io } from './terminal.js'

const WORKER_FILE = new URL('./demo-worker.js', import.meta.url)
const COUNTERS = 64
const WRITE_SHARE = 0.1
const PROTECTED: readonly Concurrency[] = ['mutex', 'rwmutex', 'sharded', 'optimistic']

interface StrategyRow {
  readonly concurrency: Concurrency
  readonly opsPerSec: number
  readonly increments: number
  readonly stored: number
  readonly lost: number
}

export interface DemoReport {
  readonly workers: number
  readonly raw: { readonly increments: number; readonly stored: number; readonly lost: number }
  readonly none: { readonly singleWorker: string; readonly detected: string[] }
  readonly strategies: readonly StrategyRow[]
  readonly async: AsyncActReport
}

const USAGE = `usage: conmap demo [--seconds S] [--json]

  Workers share one map, in three acts: a plain shared counter that loses updates
  silently; an unprotected SharedMap that fails loudly, as Go's race detector does;
  the same storm under each protection strategy, with no update lost. A fourth act
  loses updates with no thread at all, across await, detected, then fixed.

  --seconds S   the length of each storm (default 2; act 1 and the one-worker run
                of act 2 take half)
  --json        one JSON document on stdout instead of the story
`

export async function demoCommand(argv: readonly string[], io: Io): Promise<number> {
  let values: { json?: boolean; help?: boolean; seconds?: string }
  try {
    values = parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, seconds: { type: 'string' } } }).values
  } catch (err) {
    io.stderr.write(`conmap demo: ${err instanceof Error ? err.message : String(err)}\n${USAGE}`)
    return 2
  }
  if (values.help === true) {
    io.stdout.write(USAGE)
    return 0
  }
  const json = values.json === true
  const seconds = Number(values.seconds ?? '2')
  if (!(seconds > 0)) {
    io.stderr.write(`conmap demo: --seconds must be a positive number of seconds, got '${values.seconds ?? ''}'\n${USAGE}`)
    return 2
  }
  const report = await runDemo(io, json, seconds * 1000)
  if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
  const { async } = report
  const asyncOk = async.racy.reported > 0 && async.locked.reported === 0 && async.locked.counted === async.visits
  const ok = asyncOk && report.strategies.every((s) => s.lost === 0) && report.none.detected.some((code) => code.startsWith('ERR_CONCURRENT_MAP_'))
  return ok ? 0 : 1
}

async function runDemo(io: Io, quiet: boolean, durationMs: number): Promise<DemoReport> {
  const say = (text = '') => {
    if (!quiet) io.stdout.write(`${text}\n`)
  }
  const status = new StatusLine(quiet ? { ...io, isTTY: false } : io)
  const workers = Math.max(4, availableParallelism())
  say(paint(io, 'bold', `conmap demo: ${workers} worker threads share one map`))
  say()

  say(paint(io, 'cyan', '1. Without protection: a plain counter in shared memory'))
  const counter = new SharedArrayBuffer(4)
  const raw = await storm(workers, { mode: 'raw', counter, durationMs: durationMs / 2 }, status, 'raw counter')
  const rawIncrements = sum(raw, (r) => r.increments)
  const stored = new Int32Array(counter)[0] ?? 0
  say(`   ${workers} workers made ${rawIncrements.toLocaleString('en-US')} increments; the counter says ${stored.toLocaleString('en-US')}.`)
  say(`   ${paint(io, 'red', `${(rawIncrements - stored).toLocaleString('en-US')} updates lost`)}, and nothing said so.`)
  say()

  say(paint(io, 'cyan', "2. An unprotected SharedMap (concurrency 'none'): Go's map, with Go's race detector"))
  const single = new SharedMap<string, number>({ concurrency: 'none' })
  const alone = await storm(1, { mode: 'map', handle: single.handle, durationMs: durationMs / 2 }, status, "'none', 1 worker")
  const singleWorker = alone[0]?.error ?? 'ok'
  say(`   1 worker:  ${singleWorker === 'ok' ? paint(io, 'green', `fine (${formatRate(sum(alone, (r) => r.ops) / (durationMs / 2000))} ops/s): "the tests pass"`) : singleWorker}`)
  const unsafe = new SharedMap<string, number>({ concurrency: 'none' })
  const crowd = await storm(workers, { mode: 'map', handle: unsafe.handle, durationMs, writeShare: 1 }, status, "'none', all workers writing")
  const detected = crowd.map((r) => r.error ?? 'ok')
  const first = detected.find((code) => code === 'ERR_CONCURRENT_MAP_WRITES' || code === 'ERR_CONCURRENT_MAP_READ_WRITE')
  say(`   ${workers} workers: ${paint(io, 'red', first === undefined ? 'no misuse detected this time' : `fatal error: ${first === 'ERR_CONCURRENT_MAP_WRITES' ? 'concurrent map writes' : 'concurrent map read and map write'} (${first})`)}`)
  say(`   the map is now poisoned: every later call throws ERR_MAP_POISONED instead of returning corrupt data.`)
  say(`   "fine in testing, panics in production" — here it fails loudly, never silently.`)
  say()

  say(paint(io, 'cyan', `3. The same storm under each protection strategy (${Math.round(WRITE_SHARE * 100)}% update, ${100 - Math.round(WRITE_SHARE * 100)}% get)`))
  const strategies: StrategyRow[] = []
  for (const concurrency of PROTECTED) {
    const map = new SharedMap<string, number>({ concurrency })
    const results = await storm(workers, { mode: 'map', handle: map.handle, durationMs }, status, `'${concurrency}'`)
    const increments = sum(results, (r) => r.increments)
    let storedTotal = 0
    for (const value of map.values()) storedTotal += value
    map.checkInvariants()
    const row = { concurrency, opsPerSec: sum(results, (r) => r.ops) / (durationMs / 1000), increments, stored: storedTotal, lost: increments - storedTotal }
    strategies.push(row)
    say(`   ${concurrency.padEnd(10)} ${formatRate(row.opsPerSec).padStart(7)} ops/s   ${row.lost === 0 ? paint(io, 'green', `no update lost (${increments.toLocaleString('en-US')} increments)`) : paint(io, 'red', `${row.lost} updates lost`)}`)
  }
  say()
  const baseline = strategies.find((s) => s.concurrency === 'mutex')?.opsPerSec ?? 1
  say(
    table(
      ['strategy', 'ops/s', 'vs one mutex', 'lost updates'],
      strategies.map((s) => [s.concurrency, formatRate(s.opsPerSec), `${(s.opsPerSec / baseline).toFixed(2)}x`, String(s.lost)]),
    ),
  )
  say()

  say(paint(io, 'cyan', '4. No threads at all: async code on one thread, and the update lost across await'))
  say("   const n = visits.get('/') ?? 0;  await save();  visits.set('/', n + 1)")
  const async = await lostUpdateAct()
  say(`   ${async.visits} concurrent visits counted ${paint(io, 'red', `${async.racy.counted}`)}; detectLostUpdates reported ${paint(io, 'red', `${async.racy.reported} lost updates`)}, each with the fix:`)
  say(paint(io, 'dim', `   "${async.racy.fix}"`))
  say(`   under a KeyedMutex (locks.runExclusive('/', …)): ${paint(io, async.locked.counted === async.visits ? 'green' : 'red', `${async.locked.counted} of ${async.visits} counted, ${async.locked.reported} reported`)}.`)
  say()
  say(paint(io, 'dim', 'Next: `npx conmap storm --check` to test your own mix for linearizability, `npx conmap bench` for the numbers on this machine.'))
  return {
    workers,
    raw: { increments: rawIncrements, stored, lost: rawIncrements - stored },
    none: { singleWorker, detected },
    strategies,
    async,
  }
}

async function storm(count: number, work: Record<string, unknown>, status: StatusLine, label: string): Promise<DemoResult[]> {
  const began = performance.now()
  const ticker = setInterval(() => status.update(`   running ${label}: ${((performance.now() - began) / 1000).toFixed(1)} s`), 100)
  try {
    return await Promise.all(
      Array.from(
        { length: count },
        (_, i) =>
          new Promise<DemoResult>((resolve, reject) => {
            const worker = new Worker(WORKER_FILE, { workerData: { counters: COUNTERS, writeShare: WRITE_SHARE, seed: i + 1, ...work } })
            worker.once('exit', (code) => reject(new Error(`demo worker exited with code ${code}`)))
            worker.once('message', resolve)
            worker.once('error', reject)
          }),
      ),
    )
  } finally {
    clearInterval(ticker)
    status.clear()
  }
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  return items.reduce((total, item) => total + pick(item), 0)
}

/**
 * `npm run bench`: everything, in one process. First the locks (locks.bench.ts:
 * conmap's Mutex against a bare spin lock and async-mutex), then the maps
 * (src/bench, the same run as `conmap bench`: SharedMap against Map, postMessage and
 * the peer libraries), then the project's targets for 'optimistic', each beside its
 * figure, and the cost aims of guard() and metrics: true (src/bench/targets.ts;
 * `conmap bench` leaves them out, they are not its users'). Tables, or one JSON
 * document `{ locks, maps, targets, costAims }` with --json.
 *
 *   npm run bench -- --quick
 *   node dist/bench/run.js --json
 */
import { runBench } from '../src/bench/run.js'
import { renderReport } from '../src/bench/report.js'
import { evaluateCostAims, evaluateTargets, renderCostAims, renderTargets } from '../src/bench/targets.js'
import { StatusLine, processIo } from '../src/cli/terminal.js'
import { runLocksBench, type ContendedRow, type LocksBenchResult } from './locks.bench.js'

const argv = process.argv.slice(2)
for (const arg of argv) {
  if (arg !== '--quick' && arg !== '--json') {
    console.error(`unknown option ${arg}\nusage: node dist/bench/run.js [--quick] [--json]`)
    process.exit(2)
  }
}
const quick = argv.includes('--quick')
const json = argv.includes('--json')

const began = performance.now()
if (!json) console.error(`measuring locks${quick ? ' (quick)' : ''}…`)
const locks = await runLocksBench({ quick })
const lockSeconds = (performance.now() - began) / 1000
if (!json) console.log(format(locks, lockSeconds))
const status = new StatusLine(processIo())
const maps = await runBench({ mode: quick ? 'quick' : 'full', command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '), progress: (text) => status.update(text) })
status.clear()
const targets = evaluateTargets(maps)
const costAims = evaluateCostAims(maps.guard)
if (json) console.log(JSON.stringify({ locks, maps, targets, costAims }, null, 2))
else console.log(`\n${renderReport(maps)}\n${renderTargets(targets)}\n${renderCostAims(costAims)}`)
if (!locks.exact || !maps.ok) process.exitCode = 1

function format(r: LocksBenchResult, secs: number): string {
  const out: string[] = []
  const m = r.machine
  out.push(`conmap locks benchmark${r.quick ? ' (--quick)' : ''}: ${m.cpus} × ${m.model}, node ${m.node}, ${m.platform}, load ${m.loadavg.join(' ')}`)
  out.push('')
  out.push('(a) Uncontended lock + unlock, one thread           ns/op   × spin lock   × async-mutex acquire')
  for (const row of r.uncontended) {
    out.push(`    ${row.name.padEnd(44)} ${row.nsPerOp.toFixed(1).padStart(8)} ${row.vsSpin.toFixed(2).padStart(12)} ${row.vsAsyncMutex.toFixed(3).padStart(20)}`)
  }
  out.push('')
  out.push('(b) Contended: threads increment one shared counter     threads        ops/s   per-thread spread')
  for (const row of r.contendedThreads) out.push(contended(row, 'workers'))
  out.push('    Contended across async tasks of ONE thread (async-mutex cannot cross threads; the section spans an await):')
  for (const row of r.contendedTasks) out.push(contended(row, 'tasks'))
  out.push('')
  out.push('    Ratios (throughput, worker threads, same run):')
  for (const ratio of r.ratios) out.push(`      ${ratio.label.padEnd(56)} ${ratio.ratio.toFixed(2).padStart(7)}×`)
  out.push('')
  out.push(`    every contended counter exact: ${r.exact ? 'yes' : 'NO (a lock failed to exclude)'}`)
  for (const note of r.notes) out.push(`    note: ${note}`)
  out.push(`    (${secs.toFixed(1)} s)`)
  out.push('    per-thread spread: least and most increments of one thread or task over the mean, in the median repetition')
  return out.join('\n')
}

function contended(row: ContendedRow, unit: string): string {
  const spread = `${row.spread.min.toFixed(2)}–${row.spread.max.toFixed(2)}× mean`
  return `    ${row.name.padEnd(44)} ${`${row.threads} ${unit}`.padStart(10)} ${Math.round(row.opsPerSec).toLocaleString('en-US').padStart(12)}   ${spread}`
}

// `conmap bench --smoke --json` in a real child process (dist/src/cli/main.js): exactly
// one JSON document on stdout with every section filled and no failed correctness
// check. The project's targets are the developers' (npm run bench, BENCHMARKS.md): they
// evaluate on that result, and neither the document nor the tables `conmap bench`
// prints carry them or an issue number. The smoke mode runs every section at tiny
// sizes in about half a minute.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderReport } from '../../src/bench/report.js'
import type { BenchResult } from '../../src/bench/result.js'
import { evaluateTargets, renderTargets } from '../../src/bench/targets.js'
import { runConmap } from '../helpers/cli.js'

const runBench = (args: readonly string[]) => runConmap(['bench', ...args])

test('conmap bench --smoke --json prints one valid JSON document with every section', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runBench(['--smoke', '--json'])
  assert.equal(code, 0, stderr)
  const result = JSON.parse(stdout) as BenchResult
  assert.equal(result.tool, 'conmap bench')
  assert.equal(result.mode, 'smoke')
  assert.equal(result.command, 'conmap bench --smoke --json')
  assert.equal(result.ok, true)
  assert.ok(result.machine.cores >= 1 && result.machine.node.startsWith('v'))
  assert.equal(result.peers.length, 3)

  const contenders = new Set(result.singleThread.rows.map((r) => r.contender))
  for (const c of ['map', 'optimistic', 'sharded', 'rwmutex', 'mutex', 'none']) assert.ok(contenders.has(c as never), `single thread lacks ${c}`)
  for (const row of result.singleThread.rows.filter((r) => r.contender === 'map')) assert.equal(row.ratioToMap, 1)
  assert.ok(result.singleThread.memory.some((m) => m.contender === 'optimistic' && (m.sharedBytesPerEntry ?? 0) > 0))

  for (const section of [result.throughput, result.operations, result.seed000]) {
    assert.ok(section.calibration.some((c) => c.workers === 1 && c.scaling === 1))
    assert.ok(section.rows.length > 0)
    for (const row of section.rows) {
      assert.equal(row.error, undefined, `${row.label} ${row.case}`)
      assert.ok(row.opsPerSec !== null && row.opsPerSec > 0, `${row.label} ${row.case} has no throughput`)
    }
  }
  const mixes = result.throughput.rows.filter((r) => r.workload.kind === 'mix')
  assert.ok(mixes.some((r) => r.contender === 'postmessage' && r.workers === 2))
  assert.ok(mixes.some((r) => r.contender === 'optimistic' && r.workers === 2 && r.latency.all.p99Ns !== null))
  assert.deepEqual(new Set(result.operations.rows.map((r) => r.workload.kind === 'op' && r.workload.op)), new Set(['get', 'set', 'update', 'delete']))
  assert.ok(result.seed000.comparison.length > 0)
  assert.ok(result.cache.hitRatio.length > 0 && result.cache.crossThread.length > 0 && result.cache.cost.length > 0)
  assert.ok(result.guard.rows.length > 0 && result.guard.rows.every((r) => r.error === undefined && r.ratio.get !== null && r.ratio.set !== null))
  // The Redis section runs in the whole run too, or says why not (no redis-server on PATH).
  assert.ok(result.redis.skipped !== undefined ? result.redis.rows.length === 0 : result.redis.rows.length > 0 && result.redis.rows.every((r) => r.error === undefined && r.opsPerSec !== null), JSON.stringify(result.redis))
  assert.deepEqual(result.contention.rows.map((r) => r.concurrency), ['optimistic', 'sharded', 'rwmutex', 'mutex'])
  for (const row of result.contention.rows) {
    assert.equal(row.error, undefined, row.label)
    const c = row.contention
    assert.ok(c !== null && row.opsPerSec !== null && row.opsPerSec > 0, row.label)
    assert.ok(c.lockWaits.write.count > 0, `${row.label}: its 10% sets took write locks`)
    assert.equal(c.lockWaits.read.count > 0, row.concurrency === 'sharded' || row.concurrency === 'rwmutex', `${row.label}: read locks only where gets take them`)
    for (const w of [c.lockWaits.read, c.lockWaits.write]) {
      assert.ok(w.waited <= w.count && w.p50 <= w.p99 && w.p99 <= w.p999, `${row.label}: ${JSON.stringify(w)}`)
    }
    const hot = c.hotKeys ?? []
    assert.equal(hot.length, 5, row.label)
    assert.ok(hot.every((h, i) => /^key:\d+$/.test(h.key) && Number(h.key.slice(4)) < row.keys && h.count > 0 && (i === 0 || (hot[i - 1]?.count ?? 0) >= h.count)), JSON.stringify(hot))
    assert.equal(row.trueHotKeys.length, 5)
    assert.ok(hot.map((h) => h.key).includes(row.trueHotKeys[0] as string), `${row.label}: the Zipf stream's hottest key ${row.trueHotKeys[0]} is not among ${JSON.stringify(hot)}`)
    assert.equal(row.found, row.trueHotKeys.filter((k) => hot.some((h) => h.key === k)).length)
  }
  assert.equal(result.seed000.seed.qps.rwmutex, 28_400)
  for (const op of ['get-first', 'get', 'get-used', 'get-zipf', 'has']) assert.ok(result.singleThread.rows.some((r) => r.contender === 'optimistic' && r.op === op && r.nsPerOp !== null), `single thread lacks ${op}`)
  assert.ok(result.singleThread.rows.some((r) => r.contender === 'optimistic' && r.values === 'object' && r.op === 'get' && r.nsPerOp !== null))
  for (const keyOrder of ['uniform', 'zipf'] as const) {
    for (const values of ['string', 'object'] as const) {
      assert.ok(mixes.some((r) => r.contender === 'optimistic' && r.workers === 2 && r.keyOrder === keyOrder && r.values === values), `no 2-worker ${keyOrder} ${values} mix`)
    }
  }

  assert.equal('targets' in result, false)
  const printed = renderReport(result)
  assert.match(printed, /^conmap bench \(smoke\)/)
  assert.match(printed, /Lock waits and hot keys[^\n]*\n  optimistic: [^\n]*\n    lock wait \(≤ µs\) +acquired +waited +p50 +p99 +p99\.9\n/)
  assert.doesNotMatch(printed, /\bissues? \d|\btargets?\b|NOT MET|seed 000/i)

  const targets = evaluateTargets(result)
  assert.equal(targets.length, 13)
  for (const id of ['get-vs-map', 'get-object-vs-map', 'get-used-vs-map', 'get-used-object-vs-map', 'has-vs-map', 'set-vs-map', 'mix-vs-map', 'mix-object-vs-map', 'get-only-vs-map']) {
    assert.ok(targets.find((t) => t.id === id)?.value !== null, `target ${id} not measured`)
  }
  const table = renderTargets(targets)
  for (const target of targets) {
    assert.equal(target.met, target.value !== null && (target.target.startsWith('<=') ? target.value <= Number(target.target.slice(3, -1)) : target.value >= Number(target.target.slice(3, -1))), target.id)
    const row = table.split('\n').find((line) => line.includes(target.name))
    assert.ok(row?.includes(target.reached) && row.includes(target.target) && row.trimEnd().endsWith(target.met ? 'met' : 'NOT MET'), `${target.id} is not beside its figure: ${row}`)
  }
  assert.doesNotMatch(table, /\bissues? \d/i)
})

test('conmap bench rejects unknown options with usage and status 2', async () => {
  const { code, stdout, stderr } = await runBench(['--bogus'])
  assert.equal(code, 2)
  assert.equal(stdout, '')
  assert.match(stderr, /usage: conmap bench/)
})

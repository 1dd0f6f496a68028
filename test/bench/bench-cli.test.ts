// `conmap bench --smoke --json` in a real child process (dist/src/cli/main.js): exactly
// one JSON document on stdout with every section filled, no failed correctness check,
// and the targets evaluated. The smoke mode runs every section at tiny sizes in about
// half a minute.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { BenchResult } from '../../src/bench/result.js'
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
  assert.equal(result.seed000.seed.qps.rwmutex, 28_400)
  assert.equal(result.targets.length, 11)
  for (const op of ['get-first', 'get', 'get-zipf', 'has']) assert.ok(result.singleThread.rows.some((r) => r.contender === 'optimistic' && r.op === op && r.nsPerOp !== null), `single thread lacks ${op}`)
  assert.ok(result.singleThread.rows.some((r) => r.contender === 'optimistic' && r.values === 'object' && r.op === 'get' && r.nsPerOp !== null))
  for (const keyOrder of ['uniform', 'zipf'] as const) {
    for (const values of ['string', 'object'] as const) {
      assert.ok(mixes.some((r) => r.contender === 'optimistic' && r.workers === 2 && r.keyOrder === keyOrder && r.values === values), `no 2-worker ${keyOrder} ${values} mix`)
    }
  }
  for (const id of ['get-vs-map', 'get-object-vs-map', 'has-vs-map', 'set-vs-map', 'mix-vs-map', 'mix-object-vs-map', 'get-only-vs-map']) {
    assert.ok(result.targets.find((t) => t.id === id)?.value !== null, `target ${id} not measured`)
  }
  for (const target of result.targets) assert.equal(target.met, target.value !== null && target.met)
})

test('conmap bench rejects unknown options with usage and status 2', async () => {
  const { code, stdout, stderr } = await runBench(['--bogus'])
  assert.equal(code, 2)
  assert.equal(stdout, '')
  assert.match(stderr, /usage: conmap bench/)
})

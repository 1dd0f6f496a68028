// `conmap bench --only cache --smoke` in a real child process: the cache section alone,
// at tiny sizes, with real workers. Its JSON has a hit ratio in [0, 1] for every trace,
// capacity and policy, every worker count across threads, the getOrComputeAsync
// duplicate-work counts at every worker count (the shared 'sieve' maps never computing
// more than the private lru-caches, and never two runs of a key at once), and every
// cost contender with its ratio to its reference; the tables print the same rows.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { COST_CONTENDERS, COST_OPS } from '../../src/bench/cache-loops.js'
import type { CacheBenchResult } from '../../src/bench/result.js'
import { runConmap } from '../helpers/cli.js'

const POLICIES = ['lru-cache', 'fifo', 'fifo-1', 'sieve', 'sieve-1']

function inUnitInterval(value: number | null, what: string): void {
  assert.ok(value !== null && value >= 0 && value <= 1, `${what}: hit ratio ${String(value)} not in [0, 1]`)
}

test('conmap bench --only cache --smoke --json: every hit ratio, across threads, duplicate-work and cost row', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'cache', '--smoke', '--json'])
  assert.equal(code, 0, stderr)
  const result = JSON.parse(stdout) as CacheBenchResult
  assert.equal(result.tool, 'conmap bench cache')
  assert.equal(result.ok, true)
  const { hitRatio, crossThread, compute, cost } = result.cache
  assert.match(result.cache.lruCache ?? '', /^11\./)

  const traces = new Set(hitRatio.map((r) => `${r.trace.kind} ${r.trace.alpha}`))
  assert.deepEqual(traces, new Set(['zipf 0.8', 'zipf 1', 'scan 1']))
  assert.deepEqual(new Set(hitRatio.map((r) => r.capacity / r.trace.keys)), new Set([0.01, 0.1]))
  assert.equal(hitRatio.length, traces.size * 2 * POLICIES.length)
  for (const row of hitRatio) {
    assert.ok(POLICIES.includes(row.contender), row.contender)
    assert.equal(row.error, undefined, `${row.label} ${row.case}`)
    inUnitInterval(row.hitRatio, `${row.label} ${row.case}`)
    assert.equal(row.evictions === null, row.contender === 'lru-cache')
  }
  // A Zipf trace's hot keys fit a cache of 10%: every policy hits more there than at 1%.
  for (const policy of POLICIES) {
    for (const trace of ['zipf 0.8', 'zipf 1']) {
      const [small, large] = [0.01, 0.1].map((share) => hitRatio.find((r) => r.contender === policy && `${r.trace.kind} ${r.trace.alpha}` === trace && r.capacity / r.trace.keys === share)?.hitRatio ?? NaN)
      assert.ok((large as number) > (small as number), `${policy} ${trace}: ${large} at 10% <= ${small} at 1%`)
    }
  }

  for (const workers of [1, 2]) {
    const contenders = crossThread.filter((r) => r.workers === workers).map((r) => r.contender)
    assert.deepEqual(contenders, workers === 1 ? ['shared-fifo', 'shared-sieve', 'private-lru'] : ['shared-fifo', 'shared-sieve', 'private-lru', 'private-lru-split'])
  }
  for (const row of crossThread) {
    assert.equal(row.error, undefined, `${row.label} at ${row.workers}`)
    inUnitInterval(row.hitRatio, `${row.label} at ${row.workers}`)
  }

  for (const workers of [1, 2]) {
    const rows = compute.filter((r) => r.workers === workers)
    assert.deepEqual(rows.map((r) => r.contender), workers === 1 ? ['shared-fifo', 'shared-sieve', 'private-lru'] : ['shared-fifo', 'shared-sieve', 'shared-sieve-total', 'private-lru'])
    const privateRuns = rows.find((r) => r.contender === 'private-lru')?.computations ?? NaN
    for (const row of rows) {
      const what = `${row.label} at ${workers}`
      assert.equal(row.error, undefined, what)
      assert.ok(row.computations !== null && row.computations >= row.distinctKeys && row.distinctKeys > 0, `${what}: ${row.computations} computations of ${row.distinctKeys} keys`)
      assert.equal(row.beyondOnePerKey, row.computations - row.distinctKeys, what)
      assert.equal(row.ratioToPrivate, row.computations / privateRuns, what)
      if (row.contender === 'private-lru') {
        assert.equal(row.joins, null)
        continue
      }
      assert.equal(row.overlapping, 0, `${what}: runs of a key while another was in flight`)
      if (workers > 1) assert.ok((row.joins ?? 0) > 0, `${what}: no thread joined another's computation`)
      if (row.contender !== 'shared-fifo') assert.ok(row.computations <= privateRuns, `${what}: ${row.computations} computations, the private caches ${privateRuns}`)
    }
  }

  assert.deepEqual(cost.map((r) => r.contender), [...COST_CONTENDERS])
  for (const row of cost) {
    assert.equal(row.error, undefined, row.label)
    for (const op of COST_OPS) {
      assert.ok(row.ns[op] !== null && row.ns[op] > 0, `${row.label} ${op} has no figure`)
      assert.ok(row.ratio[op] !== null && row.ratio[op] > 0, `${row.label} ${op} has no ratio`)
      if (row.contender === row.reference) assert.equal(row.ratio[op], 1)
    }
  }
})

test('conmap bench --only cache --smoke prints the four cache tables', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'cache', '--smoke'])
  assert.equal(code, 0, stderr)
  for (const heading of ['Cache: hit ratio, one thread', 'Cache across threads', 'Cache duplicate work', 'Cache cost, one thread']) assert.ok(stdout.includes(heading), `no '${heading}'`)
  for (const label of ['lru-cache 11.', "SharedMap 'fifo' (1 shard)", "SharedMap 'sieve' (1 shard)", "one shared SharedMap 'sieve'", "one shared SharedMap 'sieve', getOrComputeAsync", 'per worker, fetch()', 'new SharedMap({ ttl: 60_000 })']) assert.ok(stdout.includes(label), `no '${label}'`)
  const ratios = [...stdout.matchAll(/\b[01]\.\d{4}\b/g)].map((m) => Number(m[0]))
  assert.ok(ratios.length >= 30 + 7, `${ratios.length} hit ratios printed`)
  for (const ratio of ratios) assert.ok(ratio >= 0 && ratio <= 1)
  assert.doesNotMatch(stdout, /FAILED/)
})

test('conmap bench --only refuses a section that does not run alone', async () => {
  const { code, stderr } = await runConmap(['bench', '--only', 'workers'])
  assert.equal(code, 2)
  assert.match(stderr, /unknown option --only workers/)
})

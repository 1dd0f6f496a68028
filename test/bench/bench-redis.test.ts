// `conmap bench --only redis --smoke` in a real child process, against the redis-server
// the section starts for itself: its JSON has a row for every operation, caller count
// (1, 16, 256) and contender (redis-benchmark for get and set only), each with positive
// ops/s, p50 <= p99, and a cost over raw node-redis that is raw's ops/s over the row's
// in the one smoke round; the table prints every row. Without redis-server on PATH the
// section says it was skipped, on stdout, and the run still succeeds.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { REDIS_CONTENDERS, REDIS_OPS, type RedisBenchResult } from '../../src/bench/redis-result.js'
import { onPath } from '../../src/bench/redis-server.js'
import { runConmap } from '../helpers/cli.js'

const CALLERS = [1, 16, 256]
const hasServer = onPath('redis-server') !== undefined
const hasTool = onPath('redis-benchmark') !== undefined

test('conmap bench --only redis --smoke --json: every op, caller count and contender, with consistent figures', { timeout: 120_000, skip: hasServer ? false : 'no redis-server on PATH' }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'redis', '--smoke', '--json'])
  assert.equal(code, 0, stderr)
  const result = JSON.parse(stdout) as RedisBenchResult
  assert.equal(result.tool, 'conmap bench redis')
  assert.equal(result.mode, 'smoke')
  assert.equal(result.ok, true)
  assert.equal(result.redis.skipped, undefined)
  assert.match(result.redis.server ?? '', /^Redis server v=\d/)
  const contenders = REDIS_CONTENDERS.filter((c) => c !== 'redis-benchmark' || hasTool)
  const expected = REDIS_OPS.flatMap((op) => CALLERS.flatMap((callers) => contenders.filter((c) => c !== 'redis-benchmark' || op !== 'update').map((contender) => `${op}/${callers}/${contender}`)))
  assert.deepEqual(result.redis.rows.map((r) => `${r.op}/${r.callers}/${r.contender}`), expected)
  for (const row of result.redis.rows) {
    const what = `${row.op} ${row.callers} ${row.label}`
    assert.equal(row.error, undefined, what)
    assert.equal(row.rounds, 1, `${what}: one round in smoke mode`)
    assert.ok(row.opsPerSec !== null && row.opsPerSec > 0, `${what}: ops/s`)
    assert.ok(row.p50Ns !== null && row.p50Ns > 0 && row.p99Ns !== null && row.p99Ns >= row.p50Ns, `${what}: p50 ${row.p50Ns} p99 ${row.p99Ns}`)
    const raw = result.redis.rows.find((r) => r.op === row.op && r.callers === row.callers && r.contender === 'raw')
    if (row.contender === 'raw') assert.equal(row.costVsRaw, null, what)
    else assert.ok(row.costVsRaw !== null && Math.abs(row.costVsRaw - (raw?.opsPerSec ?? NaN) / row.opsPerSec) < 1e-9 * row.costVsRaw, `${what}: cost ${row.costVsRaw} is not raw's ops/s over the row's`)
  }
  assert.ok(result.redis.notes.length > 0)
})

test('conmap bench --only redis --smoke: the table has every row', { timeout: 120_000, skip: hasServer ? false : 'no redis-server on PATH' }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'redis', '--smoke'])
  assert.equal(code, 0, stderr)
  assert.match(stdout, /^conmap bench --only redis \(smoke\)/)
  const rows = stdout.split('\n').filter((l) => /^\s+(get|set|update)\s+(1|16|256)\s/.test(l))
  assert.equal(rows.length, REDIS_OPS.length * CALLERS.length * (hasTool ? 4 : 3) - (hasTool ? CALLERS.length : 0))
  assert.doesNotMatch(stdout, /FAILED|SKIPPED/)
})

test('conmap bench --only redis without redis-server on PATH: says it was skipped, exit 0', { timeout: 60_000 }, async (t) => {
  // node runs by its absolute path; the empty dir as PATH hides redis-server (node's own dir may hold it, as /usr/bin does).
  const empty = mkdtempSync(join(tmpdir(), 'conmap-no-redis-'))
  t.after(() => rmSync(empty, { recursive: true, force: true }))
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: empty }
  delete env.CONMAP_REDIS_SERVER
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'redis', '--smoke'], { env })
  assert.equal(code, 0, stderr)
  assert.match(stdout, /Redis: SKIPPED, no redis-server on PATH/)
  const json = await runConmap(['bench', '--only', 'redis', '--smoke', '--json'], { env })
  const result = JSON.parse(json.stdout) as RedisBenchResult
  assert.deepEqual([result.ok, result.redis.rows.length], [true, 0])
  assert.match(result.redis.skipped ?? '', /no redis-server on PATH/)
})

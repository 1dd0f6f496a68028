// The Redis storm's check can fail: a map that answers get() from a stale cache
// (test/redis/fixtures/stale-storm-worker.ts) is stormed through runRedisStorm on a
// real server like the real one, and the report says NOT linearizable, with a
// counter-example.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { formatRedisStormReport, runRedisStorm } from '../../src/storm/index.js'
import { startRedis, type RedisServer } from '../helpers/redis-servers.js'

const staleWorker = new URL('./fixtures/stale-storm-worker.js', import.meta.url)
const lostReplyWorker = new URL('./fixtures/lost-reply-storm-worker.js', import.meta.url)
let server: RedisServer

before(async () => {
  server = await startRedis()
})
after(async () => {
  await server?.stop()
})

test('stale reads from a broken map: not linearizable, with a counter-example', { timeout: 60_000 }, async () => {
  const report = await runRedisStorm({ url: server.url, workers: 2, tasks: 1, duration: 0.5, keys: 2, mix: 'get:50,set:50', check: true, checkTimeout: 30, seed: 4 }, { worker: staleWorker })
  assert.equal(report.linearizable, false)
  assert.equal(report.ok, false)
  assert.deepEqual(report.errors, {}, 'the broken map fails only by its answers')
  assert.ok(report.counterexample !== undefined)
  assert.match(report.violations.join('\n'), /is not linearizable/)
  const text = formatRedisStormReport(report)
  assert.match(text, /check {8}NOT linearizable/)
  assert.match(text, /result {7}FAIL/)
})

test('the same storm on the real map is linearizable', { timeout: 60_000 }, async () => {
  const report = await runRedisStorm({ url: server.url, workers: 2, duration: 1, keys: 4, mix: 'get:50,set:50', check: true, seed: 4 })
  assert.equal(report.linearizable, true, formatRedisStormReport(report))
  assert.equal(report.ok, true)
})

test('writes whose reply was lost are counted as indeterminate and checked as pending: still linearizable', { timeout: 60_000 }, async () => {
  const report = await runRedisStorm({ url: server.url, workers: 2, tasks: 2, duration: 0.5, keys: 4, mix: 'get:40,set:40,compareAndSwap:20', check: true, seed: 8 }, { worker: lostReplyWorker })
  assert.ok(report.indeterminate > 0, formatRedisStormReport(report))
  assert.deepEqual(Object.keys(report.errors), ['ERR_REDIS_INDETERMINATE'])
  assert.equal(report.pendingOperations, report.indeterminate)
  assert.equal(report.operationsChecked, report.ops)
  assert.equal(report.linearizable, true, formatRedisStormReport(report))
  assert.equal(report.ok, true, 'a lost reply is no violation')
  assert.match(formatRedisStormReport(report), new RegExp(`indeterminate ${report.indeterminate.toLocaleString('en-US')} \\(checked as pending\\)`))
})

test('bad options are ERR_INVALID_ARGUMENT naming the option, before anything connects', async () => {
  await assert.rejects(runRedisStorm({ url: server.url, workers: 'many' }), { code: 'ERR_INVALID_ARGUMENT', message: /workers must be an integer/ })
  await assert.rejects(runRedisStorm({ url: server.url, shards: 4 } as never), { code: 'ERR_INVALID_ARGUMENT', message: /unknown redis storm option 'shards'/ })
})

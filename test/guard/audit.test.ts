// The audit ring: wrap-around in order, keys as hashes or text, the sink, and
// concurrent writers in real workers while the main thread reads: an entry is
// never returned torn.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { AuditLog, CircuitBreaker, ErrorCode, SharedMap, guard, type AuditEntry } from '../../src/index.js'
import { withCode } from '../helpers/workers.js'
import { keyOf, opOf } from './entries.js'
import { startGuardWorker, startLine } from './helpers.js'

const LIMIT = { timeout: 120_000 }

test('the ring keeps the last `entries` calls, oldest first, with contiguous positions', () => {
  const log = new AuditLog({ entries: 5 })
  assert.equal(log.entries, 8, 'rounded up to a power of two')
  for (let i = 0; i < 20; i++) log.record('get', `k${i}`, 'ok', i)
  const entries = log.read()
  assert.deepEqual(entries.map((entry) => entry.seq), [12, 13, 14, 15, 16, 17, 18, 19])
  assert.deepEqual(entries.map((entry) => entry.key), [12, 13, 14, 15, 16, 17, 18, 19].map((i) => log.hashOf(`k${i}`)))
  assert.deepEqual(entries.map((entry) => entry.wait), [12, 13, 14, 15, 16, 17, 18, 19])
  assert.equal(log.dropped, 0)
  assert.ok(entries.every((entry, i) => i === 0 || entry.time >= (entries[i - 1] as AuditEntry).time))
})

test("keys: 'hash' stores no raw key (8 hex digits, the same in every thread); 'plain' and a function store text, cut at 64 bytes", () => {
  const map = new SharedMap<string, number>()
  const hashed = guard(map, { audit: {} })
  hashed.set('secret-user-42', 1)
  const [entry] = hashed.audit()
  assert.match(entry?.key ?? '', /^[0-9a-f]{8}$/)
  assert.equal(entry?.key, hashed.auditLog.hashOf('secret-user-42'))
  assert.equal(AuditLog.attach(hashed.auditLog.handle).hashOf('secret-user-42'), entry?.key)
  assert.notEqual(new AuditLog().hashOf('secret-user-42'), entry?.key, 'each log has its own seed')

  const plain = guard(new SharedMap<number | bigint | string, number>(), { audit: { keys: 'plain' } })
  plain.set(1, 1).set(1n, 2).set('é'.repeat(40), 3)
  assert.deepEqual(plain.audit().map((e) => e.key), ['1', '1n', `${'é'.repeat(32)}…`])

  const redacted = guard(map, { audit: { keys: (key) => String(key).replace(/\d+/g, '#') } })
  redacted.get('user:42')
  redacted.clear()
  assert.deepEqual(redacted.audit().map((e) => [e.op, e.key]), [['get', 'user:#'], ['clear', undefined]])
  // A second guard joins the text log with its own function; a 'hash' guard may not.
  guard(map, { audit: { log: redacted.auditLog, keys: 'plain' } }).get('user:7')
  assert.equal(redacted.audit().at(-1)?.key, 'user:7')
  assert.throws(() => guard(map, { audit: { log: redacted.auditLog } }), withCode(ErrorCode.INVALID_ARGUMENT))
})

test('the sink gets every entry this guard writes; a sink that throws changes no call', () => {
  const seen: AuditEntry[] = []
  const guarded = guard(new SharedMap<string, number>(), { breaker: new CircuitBreaker({ failures: 1 }), audit: { sink: (entry) => seen.push(entry) } })
  guarded.set('a', 1)
  guarded.breaker.settle(guarded.breaker.admit(), 'failure')
  assert.throws(() => guarded.get('a'), withCode(ErrorCode.BREAKER_OPEN))
  assert.deepEqual(seen, guarded.audit())
  assert.deepEqual(seen.map((entry) => entry.outcome), ['ok', ErrorCode.BREAKER_OPEN])
  const loud = guard(new SharedMap<string, number>(), {
    audit: {
      sink: () => {
        throw new Error('sink down')
      },
    },
  })
  assert.equal(loud.set('a', 1).get('a'), 1)
  assert.equal(loud.audit().length, 2)
})

/** Every field of an entry written by guard-worker's `record` follows from its thread and counter: a torn entry breaks one of these. */
function checkWhole(entry: AuditEntry): number {
  const match = /^(\d+):(\d+):([a-z])+$/.exec(entry.key ?? '')
  assert.ok(match !== null, `key ${entry.key}`)
  const thread = Number(match[1])
  const i = Number(match[2])
  assert.equal(entry.key, keyOf(thread, i), 'the key text is whole')
  assert.equal(entry.thread, thread, 'thread and key are of one write')
  assert.equal(entry.op, opOf(i))
  assert.equal(entry.outcome, i % 3 === 0 ? 'ERR_LOCK_TIMEOUT' : 'ok')
  assert.equal(entry.wait, i / 1000)
  return thread
}

test('4 workers write at once while the main thread reads: no entry is ever torn, positions only grow, the ring wraps', LIMIT, async () => {
  const map = new SharedMap<string, number>()
  const breaker = new CircuitBreaker()
  const log = new AuditLog({ entries: 64, keys: 'text' })
  const workers = await Promise.all([0, 1, 2, 3].map(() => startGuardWorker({ map, breaker, log }, { keys: 'plain' })))
  const count = 50_000
  const line = startLine()
  let writing = true
  const done = Promise.all(workers.map((worker) => worker.ask('record', { count, startLine: line, workers: workers.length }))).finally(() => (writing = false))
  let reads = 0
  let checked = 0
  const threads = new Set<number>()
  while (writing) {
    const entries = log.read()
    for (const entry of entries) threads.add(checkWhole(entry))
    for (let i = 1; i < entries.length; i++) assert.ok((entries[i] as AuditEntry).seq > (entries[i - 1] as AuditEntry).seq)
    checked += entries.length
    reads++
    await new Promise((resolve) => setImmediate(resolve))
  }
  await done
  const last = log.read()
  // Once the writers are done, every slot holds its last ticket unless that write was dropped (counted).
  assert.ok(last.length <= 64 && last.length >= 64 - log.dropped, `${last.length} entries, ${log.dropped} dropped`)
  for (const entry of last) checkWhole(entry)
  // The last lap is the newest tickets: every position of it present is among the last 64 written.
  const total = 4 * count
  assert.ok(last.every((entry) => entry.seq >= total - 64 && entry.seq < total), JSON.stringify(last.map((entry) => entry.seq)))
  assert.ok(reads > 1 && checked > 0, `reads ${reads}, entries checked ${checked}`)
  assert.ok(threads.size >= 2, `entries seen from threads ${[...threads].join(', ')}`)
})

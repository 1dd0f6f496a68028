// Keys and values written by another thread: a worker writes keys and 'structured' encodings into
// shared memory; this thread finds the keys (same hashes, keyEquals, readKey) and decodes the
// values with its own msgpackr instance.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { Worker } from 'node:worker_threads'
import { hashKey, keyEquals, keyKind, keyViews, readKey, structuredCodec, type Key } from '../../src/codec/index.js'
import type { CodecJob, CodecReport } from './codec-worker.js'

test('keys and values written by a worker thread are found, hashed and decoded identically here', async () => {
  const keys: Key[] = ['user:1234', '', 'é\ud800', 0, -0, NaN, 1.5, -(2 ** 60), 0n, -7n, 2n ** 64n, -(2n ** 300n)]
  const values: unknown[] = [
    { id: 'user:1234', roles: ['admin'], seen: new Date(0), visits: 42n, prefs: new Map([['theme', 'dark']]) },
    new Set([1, 'two', 3n]),
    [new Float64Array([1.5, -0]), new Uint8Array([1, 2, 3])],
    undefined,
    'x'.repeat(1000),
    JSON.parse('{"__proto__": {"isAdmin": true}, "name": "m"}'),
  ]
  const memory = new SharedArrayBuffer(8192)
  const job: CodecJob = { keys, values, seed: [0x01234567, 0x89abcdef], memory }
  const worker = new Worker(new URL('./codec-worker.js', import.meta.url), { workerData: job })
  const [report] = (await once(worker, 'message')) as [CodecReport]
  await once(worker, 'exit')

  const views = keyViews(memory)
  keys.forEach((key, i) => {
    const region = report.keys[i]!
    const kind = keyKind(key)
    assert.equal(region.hash, hashKey(key, kind, job.seed[0], job.seed[1]), `hash of ${String(key)}`)
    assert.ok(keyEquals(key, kind, views, region.byteOffset, region.byteLength, kind), `keyEquals ${String(key)}`)
    assert.ok(Object.is(readKey(views, region.byteOffset, region.byteLength, kind), Object.is(key, -0) ? 0 : key))
  })
  const bytes = new Uint8Array(memory)
  values.forEach((value, i) => {
    const region = report.values[i]!
    assert.deepStrictEqual(structuredCodec.decode(bytes.subarray(region.byteOffset, region.byteOffset + region.byteLength)), value)
  })
})

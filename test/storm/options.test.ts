import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULTS, formatMix, parseMix, runStorm, STORM_OPS, validateStormOptions } from '../../src/storm/index.js'
import { withCode } from '../helpers/workers.js'

test('defaults: every option filled in, a random seed in uint32 range', () => {
  const options = validateStormOptions({})
  assert.equal(options.concurrency, DEFAULTS.concurrency)
  assert.equal(options.workers, DEFAULTS.workers)
  assert.equal(options.duration, DEFAULTS.duration)
  assert.equal(options.check, false)
  assert.equal(options.grow, false)
  assert.equal(options.stallReads, 0)
  assert.equal(options.kill, 0)
  assert.equal(options.shards, undefined)
  assert.equal(options.ttl, undefined)
  assert.equal(options.maxEntries, undefined)
  assert.ok(Number.isInteger(options.seed) && options.seed >= 0 && options.seed <= 0xffffffff)
  assert.equal(formatMix(options.mix), 'get:70,set:10,delete:5,loadOrStore:5,compareAndSwap:5,update:5')
})

test('numbers may come as strings, as from a command line', () => {
  const options = validateStormOptions({ workers: '3', duration: '0.5', keys: '64', valueSize: '100', seed: '42', kill: '2.5', shards: '16', check: 'true', grow: 'true', ttl: '50', maxEntries: '32' })
  assert.deepEqual(
    [options.workers, options.duration, options.keys, options.valueSize, options.seed, options.kill, options.shards, options.check, options.grow, options.ttl, options.maxEntries],
    [3, 0.5, 64, 100, 42, 2.5, 16, true, true, 50, 32],
  )
})

test('bad values: ERR_INVALID_ARGUMENT naming the option and the value', () => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ concurrency: 'lockfree' }, /concurrency must be one of optimistic, sharded, rwmutex, mutex, none, got 'lockfree'/],
    [{ workers: 0 }, /workers must be an integer from 1 to 256, got '0'/],
    [{ workers: '2.5' }, /workers must be an integer/],
    [{ workers: '' }, /workers must be an integer/],
    [{ duration: 0 }, /duration must be a number above 0/],
    [{ duration: 'soon' }, /duration must be a number above 0 and at most 86400, got 'soon'/],
    [{ keys: -1 }, /keys must be an integer from 1/],
    [{ valueSize: 0 }, /valueSize must be an integer from 1/],
    [{ seed: 2 ** 32 }, /seed must be an integer from 0 to 4294967295/],
    [{ kill: -1 }, /kill must be a number from 0 to 1000/],
    [{ shards: 12 }, /shards must be a power of two/],
    [{ check: 'yes' }, /check must be a boolean, got 'yes'/],
    [{ grow: 1 }, /grow must be a boolean, got '1'/],
    [{ stallReads: -1 }, /stallReads must be a number from 0 to 1000000, got '-1'/],
    [{ checkLimit: 10 }, /checkLimit must be an integer from 1000/],
    [{ keys: 4_000_000, valueSize: 1000 }, /keys × valueSize = 4000000000 bytes/],
    [{ ttl: 0 }, /ttl must be an integer from 1 to 86400000, got '0'/],
    [{ ttl: 1.5 }, /ttl must be an integer from 1/],
    [{ ttl: 'soon' }, /ttl must be an integer from 1 to 86400000, got 'soon'/],
    [{ maxEntries: 0 }, /maxEntries must be an integer from 1 to 2147483648, got '0'/],
    [{ maxEntries: '8.5' }, /maxEntries must be an integer from 1/],
    [{ maxEntries: 8, maxBytes: 4096 }, /maxBytes must be an integer from 262144/],
    [{ maxBytes: 1 << 20 }, /maxBytes needs maxEntries/],
    [{ colour: 'blue' }, /unknown storm option 'colour'/],
  ]
  for (const [input, message] of cases) {
    assert.throws(() => validateStormOptions(input as never), withCode('ERR_INVALID_ARGUMENT'), JSON.stringify(input))
    assert.throws(() => validateStormOptions(input as never), message, JSON.stringify(input))
  }
})

test('messages use the names the caller gives', () => {
  assert.throws(() => validateStormOptions({ valueSize: 'big' }, (name) => `--${name}`), /--valueSize must be an integer from 1 to 1048576, got 'big'/)
})

test('mix: text or object, relative weights, every atomic operation available', () => {
  const all = parseMix(STORM_OPS.map((op) => `${op}:1`).join(','))
  assert.ok(STORM_OPS.every((op) => all[op] === 1))
  const mix = parseMix(' get : 7 , set:3 ,')
  assert.equal(mix.get, 7)
  assert.equal(mix.set, 3)
  assert.equal(mix.update, 0)
  assert.equal(formatMix(parseMix({ update: 2, has: 0.5 })), 'has:0.5,update:2')
})

test('mix: unknown operations, bad weights, duplicates and all-zero mixes are refused', () => {
  for (const [text, message] of [
    ['get:1,range:1', /unknown operation 'range', expected one of get, has, set/],
    ['get', /expected op:weight, got 'get'/],
    ['get:-1', /weight of 'get' must be a non-negative number, got '-1'/],
    ['get:x', /weight of 'get' must be a non-negative number/],
    ['get:1,get:2', /'get' is given twice/],
    ['get:0,set:0', /at least one operation needs a positive weight/],
    ['', /at least one operation needs a positive weight/],
  ] as const) {
    assert.throws(() => parseMix(text), withCode('ERR_INVALID_ARGUMENT'), text)
    assert.throws(() => parseMix(text), message, text)
  }
})

test('runStorm refuses bad options and hooks before starting a thread', async () => {
  await assert.rejects(runStorm({ workers: 0 }), withCode('ERR_INVALID_ARGUMENT'))
  await assert.rejects(runStorm({ duration: 0.1 }, { progressInterval: -1 }), /progressInterval must be a positive number/)
  await assert.rejects(runStorm({ duration: 0.1 }, { onProgress: 'often' as never }), withCode('ERR_INVALID_ARGUMENT'))
})

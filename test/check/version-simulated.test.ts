// Simulated histories with versions: a sequential map whose versions rise by
// random steps (as SharedMap's do, sharing one clock among many keys) answers the
// operations at random points inside random overlapping intervals. Every such
// history is linearizable and must pass, pending calls, gaps and all.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, formatHistory, type MapOp, type Operation } from '../../src/check/index.js'
import { prng } from './helpers.js'

interface Entry {
  value: unknown
  version: number
}

function simulate(seed: number, count: number): Operation[] {
  const random = prng(seed)
  const below = (n: number) => Math.floor(random() * n)
  let clock = 0
  const store = new Map<string, Entry>()
  const lastRead = new Map<string, number>()
  const write = (key: string, value: unknown) => store.set(key, { value, version: (clock += 1 + below(3)) })
  const planned: Array<{ op: Operation; at: number; effect: boolean }> = []
  for (let i = 0; i < count; i++) {
    const call = random() * count * 0.05
    const ret = call + 0.01 + random() * 0.3
    const key = `k${below(2)}`
    const ops: MapOp[] = ['get', 'set', 'delete', 'swap', 'getVersioned', 'getVersioned', 'setIfVersion', 'setIfVersion', 'deleteIfVersion', 'update']
    const op = ops[below(ops.length)]!
    const expected = [lastRead.get(key) ?? 0, 0, (lastRead.get(key) ?? 0) + 1 + below(3)][below(4) % 3]!
    const args: unknown[] = op === 'set' || op === 'swap' ? [i] : op === 'setIfVersion' ? [i, expected] : op === 'deleteIfVersion' ? [expected] : op === 'update' ? [{ kind: 'set', value: i }] : []
    const killed = random() < 0.03
    planned.push({ op: killed ? { thread: i % 4, key, op, args, call } : { thread: i % 4, key, op, args, call, ret }, at: call + random() * (ret - call), effect: !killed || random() < 0.5 })
  }
  planned.sort((a, b) => a.at - b.at)
  return planned.map(({ op, effect }) => {
    if (!effect) return op
    const current = store.get(op.key as string)
    let result: unknown
    switch (op.op) {
      case 'get':
        result = current?.value
        break
      case 'set':
      case 'update':
        write(op.key as string, op.op === 'set' ? op.args[0] : (op.args[0] as { value: unknown }).value)
        result = op.op === 'update' ? store.get(op.key as string)!.value : undefined
        break
      case 'swap':
        write(op.key as string, op.args[0])
        result = { previous: current?.value, loaded: current !== undefined }
        break
      case 'delete':
        store.delete(op.key as string)
        result = current !== undefined
        break
      case 'getVersioned':
        result = current === undefined ? undefined : { value: current.value, version: current.version }
        lastRead.set(op.key as string, current?.version ?? 0)
        break
      case 'setIfVersion':
      case 'deleteIfVersion': {
        const expected = op.args[op.args.length - 1] as number
        result = (current?.version ?? 0) === expected && (current !== undefined || op.op === 'setIfVersion')
        if (result && op.op === 'setIfVersion') write(op.key as string, op.args[0])
        if (result && op.op === 'deleteIfVersion') store.delete(op.key as string)
        break
      }
      default:
        throw new Error(`not simulated: ${op.op}`)
    }
    return op.ret === undefined ? op : { ...op, result }
  })
}

test('simulated versioned histories pass, pending calls, gaps between versions and stale expectations included', () => {
  let successes = 0
  let refusals = 0
  for (let seed = 1; seed <= 60; seed++) {
    const history = simulate(seed, 120)
    const result = checkHistory(history, { timeoutMs: 20_000 })
    assert.equal(result.linearizable, true, `seed ${seed}\n${formatHistory(result.failure?.operations ?? [])}`)
    for (const op of history) {
      if (op.op !== 'setIfVersion' && op.op !== 'deleteIfVersion') continue
      if (op.result === true) successes++
      if (op.result === false) refusals++
    }
  }
  assert.ok(successes > 100 && refusals > 100, `${successes} successes, ${refusals} refusals by version`)
})

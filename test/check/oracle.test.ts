import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { checkHistory, formatHistory, type Key, type MapOp, type Operation } from '../../src/check/index.js'
import { applyOp, sameAnswer } from './helpers.js'

/**
 * Brute force, independent of the checker: try every order that respects real time
 * (a before b when a returned strictly before b was called), where completed
 * operations must appear and pending ones may, replaying the reference semantics.
 * With `cache`, the key may also vanish between any two operations.
 */
function bruteForce(history: readonly Operation[], cache = false): boolean {
  const used = new Array<boolean>(history.length).fill(false)
  const mustPrecede = (a: Operation, b: Operation) => a.ret !== undefined && a.ret < b.call
  const explore = (store: Map<Key, unknown>): boolean => {
    if (history.every((op, i) => used[i] || op.ret === undefined)) return true
    if (cache && store.has('k') && explore(new Map())) return true
    return history.some((op, i) => {
      if (used[i] || history.some((other, j) => !used[j] && other.ret !== undefined && mustPrecede(other, op))) return false
      const next = new Map(store)
      const answer = applyOp(next, op)
      if (op.ret !== undefined && !sameAnswer(op, answer)) return false
      used[i] = true
      const found = explore(next)
      used[i] = false
      return found
    })
  }
  return explore(new Map())
}

const value = fc.constantFrom<unknown>(1, 2, { v: 1 })
const opSpec = fc.record({
  op: fc.constantFrom<MapOp>('get', 'has', 'set', 'delete', 'loadOrStore', 'loadAndDelete', 'swap', 'compareAndSwap', 'compareAndDelete', 'getOrCompute', 'update'),
  a: value,
  b: value,
  incrementBy: fc.constantFrom(1, 2),
  updateKind: fc.constantFrom('increment', 'set', 'delete'),
  call: fc.integer({ min: 0, max: 12 }),
  duration: fc.integer({ min: 0, max: 6 }),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  pending: fc.boolean(),
  tookEffect: fc.boolean(),
})
const historySpec = fc.record({
  specs: fc.array(opSpec, { minLength: 1, maxLength: 7 }),
  corrupt: fc.option(fc.record({ index: fc.nat(), answer: fc.constantFrom<unknown>(undefined, 1, 2, 3, true, false) }), { freq: 2 }),
})

type HistorySpec = typeof historySpec extends fc.Arbitrary<infer T> ? T : never

/**
 * Answers from a random linearization inside the intervals, then maybe one wrong
 * answer; `vanishes[i]` drops the key just before the i-th operation in that order.
 */
function build({ specs, corrupt }: HistorySpec, vanishes: readonly boolean[] = []): Operation[] {
  const ops = specs.map((s, i) => {
    const args: unknown[] =
      s.op === 'update'
        ? [s.updateKind === 'increment' ? { kind: 'increment', by: s.incrementBy } : s.updateKind === 'set' ? { kind: 'set', value: s.a } : { kind: 'delete' }]
        : s.op === 'compareAndSwap'
          ? [s.a, s.b]
          : ['set', 'loadOrStore', 'swap', 'compareAndDelete', 'getOrCompute'].includes(s.op)
            ? [s.a]
            : []
    const pending = s.pending && i % 3 === 0
    return { spec: s, pending, op: { thread: i, key: 'k', op: s.op, args, call: s.call, ...(pending ? {} : { ret: s.call + s.duration }) } as Operation }
  })
  const store = new Map<Key, unknown>()
  const answers = new Map<number, unknown>()
  const order = ops.map((o, i) => ({ i, at: o.spec.call + o.spec.at * o.spec.duration })).sort((x, y) => x.at - y.at)
  for (const [n, { i }] of order.entries()) {
    if (vanishes[n] === true) store.delete('k')
    const o = ops[i]!
    if (o.pending && !o.spec.tookEffect) continue
    const current = store.get('k')
    const increment = o.op.op === 'update' && (o.op.args[0] as { kind: string }).kind === 'increment'
    if (increment && current !== undefined && typeof current !== 'number') continue
    answers.set(i, applyOp(store, o.op))
  }
  return ops.map((o, i) => {
    if (o.pending) return o.op
    let result = answers.get(i)
    if (corrupt !== null && corrupt.index % ops.length === i) result = corrupt.answer
    const shaped =
      o.op.op === 'loadOrStore' || o.op.op === 'loadAndDelete'
        ? typeof result === 'object' && result !== null ? result : { value: result, loaded: result !== undefined }
        : o.op.op === 'swap'
          ? typeof result === 'object' && result !== null ? result : { previous: result, loaded: result !== undefined }
          : ['has', 'delete', 'compareAndSwap', 'compareAndDelete'].includes(o.op.op)
            ? typeof result === 'boolean' ? result : result !== undefined
            : result
    return { ...o.op, result: shaped }
  })
}

test('the checker agrees with brute force on small random histories', () => {
  let linearizable = 0
  let rejected = 0
  fc.assert(
    fc.property(historySpec, (spec) => {
      const history = build(spec)
      const expected = bruteForce(history)
      const result = checkHistory(history)
      assert.equal(result.linearizable, expected, formatHistory(history))
      if (expected) {
        linearizable++
        return
      }
      rejected++
      const counterExample = result.failure!.operations
      assert.ok(counterExample.length > 0 && counterExample.every((op) => history.includes(op)))
      assert.ok(result.failure?.culprit !== undefined && counterExample.includes(result.failure.culprit))
      assert.equal(bruteForce(counterExample), false, formatHistory(counterExample))
    }),
    { numRuns: 3000, seed: 20240611 },
  )
  // Both verdicts must be well represented, or the agreement means little.
  assert.ok(linearizable > 600 && rejected > 600, `linearizable ${linearizable}, rejected ${rejected}`)
})

test('in cache mode the checker agrees with brute force where the key may vanish', () => {
  let linearizable = 0
  let rejected = 0
  let vanishOnly = 0
  const cacheSpec = fc.record({ spec: historySpec, vanishes: fc.array(fc.boolean(), { maxLength: 7 }) })
  fc.assert(
    fc.property(cacheSpec, ({ spec, vanishes }) => {
      const history = build(spec, vanishes)
      const expected = bruteForce(history, true)
      const result = checkHistory(history, { cache: true })
      assert.equal(result.linearizable, expected, formatHistory(history))
      if (!expected) {
        rejected++
        assert.equal(bruteForce(result.failure!.operations, true), false, formatHistory(result.failure!.operations))
        return
      }
      linearizable++
      if (!bruteForce(history)) vanishOnly++
    }),
    { numRuns: 3000, seed: 20240612 },
  )
  assert.ok(linearizable > 600 && rejected > 300 && vanishOnly > 200, `linearizable ${linearizable} (${vanishOnly} only with vanishes), rejected ${rejected}`)
})

import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkOperations, type Model } from '../../src/check/index.js'

interface RegisterOp {
  readonly kind: 'read' | 'write'
  readonly value: number
  readonly call: number
  readonly ret?: number
}

const register: Model<number, RegisterOp> = {
  init: () => 0,
  step: (state, op, pending) => (op.kind === 'write' ? { ok: true, next: op.value } : { ok: pending || op.value === state, next: state }),
  key: (state) => state,
}

const w = (value: number, call: number, ret?: number): RegisterOp => ({ kind: 'write', value, call, ...(ret === undefined ? {} : { ret }) })
const r = (value: number, call: number, ret: number): RegisterOp => ({ kind: 'read', value, call, ret })

test('(i) a user-defined register through checkOperations', () => {
  assert.deepEqual(checkOperations(register, [r(0, 3, 4), w(1, 0, 5), r(1, 1, 2)], { minimize: false }), {
    linearizable: false,
    operationsChecked: 3,
    partitionsChecked: 1,
    failure: { operations: [w(1, 0, 5), r(1, 1, 2), r(0, 3, 4)], culprit: r(0, 3, 4) },
  })
  assert.deepEqual(checkOperations(register, [w(1, 0, 5), r(0, 1, 2), r(1, 3, 4)]), {
    linearizable: true,
    operationsChecked: 3,
    partitionsChecked: 1,
  })
})

interface CounterOp {
  readonly counter: string
  readonly kind: 'take' | 'add' | 'read'
  readonly amount: number
  readonly call: number
  readonly ret?: number
}

/** Counters that never go negative: `take` is impossible below its amount, even when pending. */
const counters: Model<number, CounterOp> = {
  init: () => 0,
  step: (state, op, pending) => {
    if (op.kind === 'add') return { ok: true, next: state + op.amount }
    if (op.kind === 'take') return { ok: state >= op.amount, next: state - op.amount }
    return { ok: pending || state === op.amount, next: state }
  },
  key: (state) => state,
  partition: (ops) => {
    const parts = new Map<string, CounterOp[]>()
    for (const op of ops) parts.set(op.counter, [...(parts.get(op.counter) ?? []), op])
    return [...parts.values()]
  },
}

const c = (counter: string, kind: CounterOp['kind'], amount: number, call: number, ret?: number): CounterOp => ({
  counter,
  kind,
  amount,
  call,
  ...(ret === undefined ? {} : { ret }),
})

test('(i) a partitioned user model checks each part and names the failing one', () => {
  const ok = [c('a', 'add', 2, 0, 1), c('b', 'add', 1, 0, 1), c('a', 'take', 2, 2, 3), c('b', 'read', 1, 2, 3)]
  assert.deepEqual(checkOperations(counters, ok), { linearizable: true, operationsChecked: 4, partitionsChecked: 2 })
  const bad = [...ok, c('b', 'take', 5, 4, 5)]
  const result = checkOperations(counters, bad)
  assert.equal(result.linearizable, false)
  assert.deepEqual(result.failure?.operations, [c('b', 'take', 5, 4, 5)])
})

test('(i) a pending operation that is impossible everywhere is dropped, not forced', () => {
  const history = [c('a', 'add', 1, 0, 1), c('a', 'take', 5, 2), c('a', 'read', 1, 3, 4)]
  assert.equal(checkOperations(counters, history).linearizable, true)
  // Completed, the same take is a violation.
  assert.equal(checkOperations(counters, [c('a', 'add', 1, 0, 1), c('a', 'take', 5, 2, 2.5)]).linearizable, false)
})

test('(i) a pending take may be needed to explain a read', () => {
  const history = [c('a', 'add', 3, 0, 1), c('a', 'take', 2, 2), c('a', 'read', 1, 3, 4)]
  assert.equal(checkOperations(counters, history).linearizable, true)
  const impossible = [c('a', 'add', 3, 0, 1), c('a', 'take', 2, 2), c('a', 'read', 0, 3, 4)]
  assert.equal(checkOperations(counters, impossible).linearizable, false)
})

test('(i) string state keys memoize as well as numbers', () => {
  const setModel: Model<readonly number[], RegisterOp> = {
    init: () => [],
    step: (state, op, pending) =>
      op.kind === 'write'
        ? { ok: true, next: [...new Set([...state, op.value])].sort((a, b) => a - b) }
        : { ok: pending || state.length === op.value, next: state },
    key: (state) => state.join(','),
  }
  const history = [w(1, 0, 10), w(2, 0, 10), w(1, 0, 10), r(1, 1, 2), r(2, 11, 12)]
  assert.equal(checkOperations(setModel, history).linearizable, true)
  assert.equal(checkOperations(setModel, [...history, r(1, 13, 14)]).linearizable, false)
})

test('(i) counter-examples keep the operation whose answer breaks the history', () => {
  // Dropping the write would leave a smaller failing history, the read of 1 alone,
  // but that blames a correct read; the read of 0 after the write returned is the fault.
  const history = [w(1, 0, 1), r(1, 2, 3), r(0, 4, 5)]
  assert.deepEqual(checkOperations(register, history).failure, { operations: [w(1, 0, 1), r(0, 4, 5)], culprit: r(0, 4, 5) })
})

test('checkOperations rejects a malformed model, history or option', () => {
  const invalid = { code: 'ERR_INVALID_ARGUMENT' }
  assert.throws(() => checkOperations({ init: () => 0, key: () => 0 } as unknown as Model<number, RegisterOp>, []), invalid)
  assert.throws(() => checkOperations({ ...register, partition: 3 } as unknown as Model<number, RegisterOp>, []), invalid)
  assert.throws(() => checkOperations(register, [{ kind: 'read', value: 0, call: 5, ret: 4 }]), invalid)
  assert.throws(() => checkOperations(register, [{ kind: 'read', value: 0, call: Infinity, ret: Infinity }]), invalid)
  assert.throws(() => checkOperations(register, [], { timeoutMs: Number.NaN }), invalid)
})

// The versioned model against brute force: small random histories of value and
// version operations, with random answers, decided by trying every order that
// respects real time and then asking whether integers can be given to the writes'
// records (rising, each observation naming its record, each refused version not
// the record's). Written apart from src/check/version-model.ts, so a disagreement
// points at a mistake in either.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { checkHistory, formatHistory, type MapOp, type Operation } from '../../src/check/index.js'

interface Record {
  readonly is: number[]
  readonly isNot: number[]
}

/** Whether some rising assignment of versions (from 1) meets every record's constraints. */
function assignable(records: readonly Record[]): boolean {
  let least = 1
  for (const { is, isNot } of records) {
    let version = least
    if (is.length > 0) {
      version = is[0]!
      if (is.some((v) => v !== version) || version < least || isNot.includes(version)) return false
    } else {
      while (isNot.includes(version)) version++
    }
    least = version + 1
  }
  return true
}

/** Replays `order`; false when an answer is impossible or no versions fit. */
function feasible(order: readonly Operation[]): boolean {
  const records: Record[] = []
  let value: unknown
  let present = false
  const write = (v: unknown) => {
    records.push({ is: [], isNot: [] })
    value = v
    present = true
  }
  const current = () => records[records.length - 1]!
  for (const op of order) {
    const r = op.result
    switch (op.op) {
      case 'get':
        if (r !== (present ? value : undefined)) return false
        break
      case 'set':
        write(op.args[0])
        break
      case 'delete':
        if (r !== present) return false
        present = false
        break
      case 'getVersioned': {
        if (!present) {
          if (r !== undefined) return false
          break
        }
        const seen = r as { value: unknown; version: number } | undefined
        if (seen === undefined || seen.value !== value) return false
        current().is.push(seen.version)
        break
      }
      case 'setIfVersion':
      case 'deleteIfVersion': {
        const version = op.args[op.args.length - 1] as number
        if (!present) {
          if (r !== (op.op === 'setIfVersion' && version === 0)) return false
        } else if (r === true) current().is.push(version)
        else current().isNot.push(version)
        if (r === true && op.op === 'setIfVersion') write(op.args[0])
        if (r === true && op.op === 'deleteIfVersion') present = false
        break
      }
      default:
        throw new Error(`not in the oracle: ${op.op}`)
    }
  }
  return assignable(records)
}

function bruteForce(history: readonly Operation[]): boolean {
  const used = new Array<boolean>(history.length).fill(false)
  const order: Operation[] = []
  const explore = (): boolean => {
    if (order.length === history.length) return feasible(order)
    return history.some((op, i) => {
      if (used[i] || history.some((other, j) => !used[j] && other.ret! < op.call)) return false
      used[i] = true
      order.push(op)
      const found = explore()
      order.pop()
      used[i] = false
      return found
    })
  }
  return explore()
}

const version = fc.integer({ min: 0, max: 4 })
const opSpec = fc.record({
  op: fc.constantFrom<MapOp>('get', 'set', 'delete', 'getVersioned', 'getVersioned', 'setIfVersion', 'setIfVersion', 'deleteIfVersion'),
  value: fc.constantFrom(1, 2),
  version,
  answer: fc.oneof(fc.constantFrom<unknown>(undefined, 1, 2, true, false), fc.record({ value: fc.constantFrom(1, 2), version: fc.integer({ min: 1, max: 5 }) })),
  call: fc.integer({ min: 0, max: 10 }),
  duration: fc.integer({ min: 0, max: 5 }),
})

function build(specs: ReadonlyArray<typeof opSpec extends fc.Arbitrary<infer T> ? T : never>): Operation[] {
  return specs.map((s, i) => {
    const args = s.op === 'set' ? [s.value] : s.op === 'setIfVersion' ? [s.value, s.version] : s.op === 'deleteIfVersion' ? [s.version] : []
    const a = s.answer
    const result =
      s.op === 'delete' || s.op === 'setIfVersion' || s.op === 'deleteIfVersion'
        ? typeof a === 'boolean' ? a : a !== undefined
        : s.op === 'getVersioned'
          ? typeof a === 'object' || a === undefined ? a : { value: a === true ? 1 : 2, version: 1 + i }
          : s.op === 'get'
            ? typeof a === 'number' || a === undefined ? a : 1
            : undefined
    return { thread: i, key: 'k', op: s.op, args, result, call: s.call, ret: s.call + s.duration }
  })
}

test('the versioned model agrees with brute force on small random histories', () => {
  let linearizable = 0
  let rejected = 0
  fc.assert(
    fc.property(fc.array(opSpec, { minLength: 1, maxLength: 6 }), (specs) => {
      const history = build(specs)
      const expected = bruteForce(history)
      assert.equal(checkHistory(history).linearizable, expected, formatHistory(history))
      if (expected) linearizable++
      else rejected++
    }),
    { numRuns: 4000, seed: 20261203 },
  )
  assert.ok(linearizable > 400 && rejected > 400, `linearizable ${linearizable}, rejected ${rejected}`)
})

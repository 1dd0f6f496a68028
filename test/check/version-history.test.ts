// The versioned model (src/check/version-model.ts): hand-written histories of
// getVersioned / setIfVersion / deleteIfVersion that a correct map can produce
// pass, and each way a map can get versions wrong fails, with a counter-example.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory, type Operation } from '../../src/check/index.js'
import { done, pending } from './helpers.js'

/** Operation i of thread 0 runs in [2i, 2i + 1]: one after the other. */
function sequential(...ops: Array<[Operation['op'], unknown[], unknown]>): Operation[] {
  return ops.map(([op, args, result], i) => done(0, op, args, result, 2 * i, 2 * i + 1))
}

const versioned = (value: unknown, version: number) => ({ value, version })
const SET_A: [Operation['op'], unknown[], unknown] = ['set', ['A'], undefined]

function fails(history: Operation[], what: string, options = {}): Operation[] {
  const result = checkHistory(history, options)
  assert.equal(result.linearizable, false, what)
  assert.ok(result.failure !== undefined && result.failure.culprit !== undefined, 'a located culprit')
  return result.failure.operations
}

function passes(history: Operation[], what: string, options = {}): void {
  assert.equal(checkHistory(history, options).linearizable, true, what)
}

test('correct versioned histories pass: inserts, updates and deletes by version, across a delete', () => {
  passes(
    sequential(
      ['setIfVersion', ['A', 0], true],
      ['getVersioned', [], versioned('A', 7)],
      ['setIfVersion', ['B', 7], true],
      ['getVersioned', [], versioned('B', 9)],
      ['setIfVersion', ['C', 7], false],
      ['deleteIfVersion', [9], true],
      ['getVersioned', [], undefined],
      ['setIfVersion', ['C', 9], false],
      ['deleteIfVersion', [9], false],
      ['set', ['A'], undefined],
      ['getVersioned', [], versioned('A', 10)],
    ),
    'versions rise, each names one write',
  )
  passes(sequential(['set', ['A'], undefined], ['setIfVersion', ['B', 3], true], ['getVersioned', [], versioned('B', 4)]), 'a version nobody read may still be the current one')
  passes(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['set', ['B'], undefined], ['setIfVersion', ['C', 5], false], ['getVersioned', [], versioned('B', 6)]), 'a stale version fails')
})

test('overlapping calls: either order is allowed, and a race for one version has one winner', () => {
  passes(
    [
      done(0, 'set', ['A'], undefined, -2, -1),
      done(0, 'getVersioned', [], versioned('A', 5), 0, 1),
      done(1, 'setIfVersion', ['B', 5], true, 2, 6),
      done(2, 'setIfVersion', ['C', 5], false, 2, 6),
      done(0, 'getVersioned', [], versioned('A', 5), 3, 4),
      done(0, 'getVersioned', [], versioned('B', 8), 7, 8),
    ],
    'the read of A fell before the winning write',
  )
  const history = [
    done(0, 'set', ['A'], undefined, -2, -1),
    done(0, 'getVersioned', [], versioned('A', 5), 0, 1),
    done(1, 'setIfVersion', ['B', 5], true, 2, 6),
    done(2, 'setIfVersion', ['C', 5], true, 2, 6),
  ]
  fails(history, 'two writers both won version 5')
})

test('an ABA accepted by setIfVersion fails: A → B → A is a new record', () => {
  const history = sequential(
    SET_A,
    ['getVersioned', [], versioned('A', 5)],
    ['set', ['B'], undefined],
    ['set', ['A'], undefined],
    ['setIfVersion', ['C', 5], true],
  )
  const example = fails(history, 'the stale version matched')
  assert.ok(example.some((op) => op.op === 'set'), 'the counter-example keeps a write between')
  passes(history.slice(0, 4).concat(done(0, 'compareAndSwap', ['A', 'C'], true, 8, 9)), 'compareAndSwap compares values and lets it through')
})

test('a version that names two writes fails', () => {
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['set', ['B'], undefined], ['getVersioned', [], versioned('B', 5)]), 'B has A’s version')
  fails(sequential(['set', ['A'], undefined], ['setIfVersion', ['B', 4], true], ['getVersioned', [], versioned('B', 4)]), 'the new record kept the version it replaced')
})

test('a version going backwards fails, and versions rise by at least one per write', () => {
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['set', ['B'], undefined], ['getVersioned', [], versioned('B', 4)]), 'B below A')
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['delete', [], true], ['set', ['A'], undefined], ['getVersioned', [], versioned('A', 3)]), 'a new insert below the deleted record')
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['set', ['B'], undefined], ['set', ['C'], undefined], ['getVersioned', [], versioned('C', 6)]), 'two writes cannot fit between 5 and 6')
  passes(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['set', ['B'], undefined], ['set', ['C'], undefined], ['getVersioned', [], versioned('C', 7)]), 'two writes, two versions up')
  fails(sequential(['set', ['A'], undefined], ['getVersioned', [], versioned('A', 0)]), 'a present key at ABSENT_VERSION')
})

test('a success on a stale version fails, and so does a failure on the current one', () => {
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['setIfVersion', ['B', 5], true], ['setIfVersion', ['C', 5], true]), 'version 5 was used up by the first write')
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['setIfVersion', ['B', 5], true], ['deleteIfVersion', [5], true]), 'deleteIfVersion on the replaced version')
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['setIfVersion', ['B', 5], false]), 'the current version refused')
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['deleteIfVersion', [5], false]), 'the current version refused a delete')
  fails(sequential(['set', ['A'], undefined], ['setIfVersion', ['B', 0], true]), 'insert-if-absent on a present key')
  fails(sequential(['setIfVersion', ['B', 0], false]), 'insert-if-absent refused on an absent key')
  fails(sequential(['deleteIfVersion', [0], true]), 'a delete of nothing')
  fails(sequential(['set', ['A'], undefined], ['setIfVersion', ['B', 8], false], ['getVersioned', [], versioned('A', 8)]), 'a version refused, then read as the current one')
  const refused = sequential(['set', ['A'], undefined], ['setIfVersion', ['B', 1], false], ['deleteIfVersion', [2], false], ['set', ['C'], undefined])
  fails([...refused, done(0, 'getVersioned', [], versioned('C', 3), 8, 9)], 'A is neither 1 nor 2, so C is above 3')
  passes([...refused, done(0, 'getVersioned', [], versioned('C', 4), 8, 9)], 'A at 3, C at 4')
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['setIfVersion', ['B', 5], true], ['getVersioned', [], versioned('A', 6)]), 'the write by version took no effect')
})

test('pending version calls: taken effect or not, whichever explains the history', () => {
  passes([done(0, 'set', ['A'], undefined, -2, -1), done(0, 'getVersioned', [], versioned('A', 5), 0, 1), pending(1, 'setIfVersion', ['B', 5], 2), done(0, 'getVersioned', [], versioned('B', 6), 3, 4)], 'it took effect')
  passes([done(0, 'set', ['A'], undefined, -2, -1), done(0, 'getVersioned', [], versioned('A', 5), 0, 1), pending(1, 'deleteIfVersion', [5], 2), done(0, 'getVersioned', [], versioned('A', 5), 3, 4)], 'it did not')
  fails([done(0, 'set', ['A'], undefined, -2, -1), done(0, 'getVersioned', [], versioned('A', 5), 0, 1), pending(1, 'setIfVersion', ['B', 4], 2), done(0, 'getVersioned', [], versioned('B', 6), 3, 4)], 'a stale pending call cannot have written B')
})

test('after a writer of the key is killed, a record may read as a later version (a DEAD record), never an earlier one', () => {
  const killed = [done(0, 'set', ['A'], undefined, -2, -1), done(0, 'getVersioned', [], versioned('A', 5), 0, 1), pending(1, 'set', ['B'], 2)]
  passes([...killed, done(0, 'getVersioned', [], versioned('A', 9), 3, 4), done(0, 'setIfVersion', ['C', 5], false, 5, 6), done(0, 'getVersioned', [], versioned('A', 12), 7, 8)], 'the old record reads as the shard’s last position')
  fails([...killed, done(0, 'getVersioned', [], versioned('A', 4), 3, 4)], 'below what it was')
  fails([...killed, done(0, 'getVersioned', [], versioned('A', 9), 3, 4), done(0, 'getVersioned', [], versioned('B', 9), 5, 6)], 'B still needs a version of its own')
  fails(sequential(SET_A, ['getVersioned', [], versioned('A', 5)], ['getVersioned', [], versioned('A', 9)]), 'with no kill, a record keeps its version')
})

test('cache histories: a vanished entry keeps its versions behind it', () => {
  const start = sequential(['set', ['A'], undefined], ['getVersioned', [], versioned('A', 3)], ['getVersioned', [], undefined], ['setIfVersion', ['B', 0], true])
  passes([...start, done(0, 'getVersioned', [], versioned('B', 4), 8, 9)], 'a vanish, then an insert-if-absent', { cache: true })
  fails([...start, done(0, 'getVersioned', [], versioned('B', 3), 8, 9)], 'the new record at the vanished one’s version', { cache: true })
  fails(start, 'without cache, A cannot vanish')
})

test('versioned records are validated', () => {
  const bad: unknown[] = [
    done(0, 'setIfVersion', ['A', -1], false, 0, 1),
    done(0, 'setIfVersion', ['A', 1.5], false, 0, 1),
    done(0, 'deleteIfVersion', ['1'], false, 0, 1),
    done(0, 'getVersioned', [], { value: 'A' }, 0, 1),
    done(0, 'getVersioned', [], { value: 'A', version: 2 ** 53 }, 0, 1),
    done(0, 'setIfVersion', ['A', 1], 'yes', 0, 1),
  ]
  for (const op of bad) assert.throws(() => checkHistory([op as Operation]), { code: 'ERR_INVALID_ARGUMENT' }, JSON.stringify(op))
})

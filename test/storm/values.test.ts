// Storm values: unique per write, and recorded exactly as read: id and length.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue, historyValue, Tag, valueLength, valueText, type ValueRef } from '../../src/storm/values.js'

const ref = (): ValueRef => ({ tag: Tag.absent, a: 0, b: 0, length: 0 })

test('valueText pads to the value size, never truncates', () => {
  assert.equal(valueText(3, 1234, 16), '3.1234__________')
  assert.equal(valueText(3, 1234, 4), '3.1234')
  assert.equal(valueText(0, 0, 1), '0.0')
})

test('written values round-trip through their reference', () => {
  for (const [writer, seq, size] of [
    [0, 0, 16],
    [7, 123_456_789, 16],
    [65_535, 2 ** 40, 64],
    [12, 5, 3],
  ] as const) {
    const out = ref()
    const text = valueText(writer, seq, size)
    assert.ok(encodeValue(text, out), text)
    assert.deepEqual([out.tag, out.a, out.b, out.length], [Tag.value, writer, seq, text.length])
    assert.equal(decodeValue(out.tag, out.a, out.b, out.length), text)
  }
  const number = ref()
  assert.ok(encodeValue(41, number) && number.tag === Tag.number && number.a === 41)
  const absent: ValueRef = { tag: Tag.value, a: 1, b: 1, length: 3 }
  assert.ok(encodeValue(undefined, absent))
  assert.equal(absent.tag, Tag.absent)
  assert.equal(decodeValue(Tag.absent, 0, 0, 0), undefined)
  assert.equal(decodeValue(Tag.number, 41, 0, 0), 41)
})

test('anything not in the written form is foreign; a wrong length is a value nobody wrote', () => {
  for (const value of [
    '3.12___x____',
    '03.12_______',
    '3.012______',
    '.12_________',
    '3._________',
    '3.1.2_______',
    '-3.12_______',
    '3.1e2_______',
    '3.12_______x',
    '1234567890123456.1',
    null,
    true,
    { value: '3.12' },
    10n,
  ]) {
    assert.equal(encodeValue(value, ref()), false, String(value))
  }
  const written = valueText(3, 12, 12)
  for (const torn of ['3.12_______', '3.12_________', '3.12']) {
    const out = ref()
    assert.ok(encodeValue(torn, out), torn)
    assert.equal(decodeValue(out.tag, out.a, out.b, out.length), torn, 'kept as read')
    assert.notEqual(historyValue(torn), historyValue(written))
  }
})

test('histories hold long values by id and length', () => {
  const long = valueText(4, 99, 100_000)
  assert.equal(historyValue(long), '4.99_…(100000 chars)')
  assert.notEqual(historyValue(long.slice(0, -1)), historyValue(long))
  assert.equal(historyValue(valueText(4, 99, 64)), valueText(4, 99, 64), 'short ones in full')
  assert.equal(historyValue(long.replace('_', 'x')), long.replace('_', 'x'), 'foreign ones as they are')
  assert.equal(historyValue(7), 7)
  assert.equal(historyValue(undefined), undefined)
})

test('--grow lengths: uniform up to a ceiling that doubles evenly through the run, never below the floor', () => {
  assert.equal(valueLength(0.5, 16, 1000, 8, 0), 500)
  assert.equal(valueLength(0.5, 16, 1000, 8, 0.5), 8000)
  assert.equal(valueLength(0.5, 16, 1000, 8, 1), 128_000)
  assert.equal(valueLength(0.5, 16, 1000, 8, 3), 128_000, 'a late write stays at the last ceiling')
  assert.equal(valueLength(0.5, 16, 1000, 8, -1), 500, 'an early one at the first')
  assert.equal(valueLength(0, 16, 1000, 8, 1), 16)
  assert.equal(valueLength(0.999_999, 16, 1000, 8, 0), 1000)
})

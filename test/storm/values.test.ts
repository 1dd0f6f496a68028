// Storm values: unique per write, and recognised only when exactly as written.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeValue, encodeValue, Tag, valueText, type ValueRef } from '../../src/storm/values.js'

const ref = (): ValueRef => ({ tag: Tag.absent, a: 0, b: 0 })

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
    assert.ok(encodeValue(text, size, out), text)
    assert.deepEqual([out.tag, out.a, out.b], [Tag.value, writer, seq])
    assert.equal(decodeValue(out.tag, out.a, out.b, size), text)
  }
  const number = ref()
  assert.ok(encodeValue(41, 16, number) && number.tag === Tag.number && number.a === 41)
  const absent: ValueRef = { tag: Tag.value, a: 1, b: 1 }
  assert.ok(encodeValue(undefined, 16, absent))
  assert.equal(absent.tag, Tag.absent)
  assert.equal(decodeValue(Tag.absent, 0, 0, 16), undefined)
  assert.equal(decodeValue(Tag.number, 41, 0, 16), 41)
})

test('anything not exactly as written is foreign', () => {
  const size = 12
  for (const value of [
    '3.12_______', // one pad short
    '3.12_________', // one pad too many
    '3.12___x____',
    '03.12_______',
    '3.012______',
    '3.12',
    '.12_________',
    '3._________',
    '3.1.2_______',
    '-3.12_______',
    '3.1e2_______',
    '1234567890123456.1',
    null,
    true,
    { value: '3.12' },
    10n,
  ]) {
    assert.equal(encodeValue(value, size, ref()), false, String(value))
  }
  assert.equal(encodeValue('3.12________', size, ref()), true)
})

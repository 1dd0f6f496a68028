import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ConfigurationMemo, LinearizedSet } from '../../src/check/linearized-set.js'
import { prng } from './helpers.js'

/** Replays random additions and removals, as the search does, against a plain Set. */
function walk(seed: number, completed: number, total: number, steps: number, visit: (set: LinearizedSet, reference: ReadonlySet<number>) => void): void {
  const random = prng(seed)
  const set = new LinearizedSet(completed, total)
  const reference = new Set<number>()
  for (let i = 0; i < steps; i++) {
    const op = Math.floor(random() * total)
    if (reference.has(op)) {
      set.remove(op)
      reference.delete(op)
    } else {
      set.add(op)
      reference.add(op)
    }
    visit(set, reference)
  }
}

const id = (reference: ReadonlySet<number>) => [...reference].sort((a, b) => a - b).join(',')

test('fingerprints and hashes identify the set exactly', () => {
  for (const [completed, total] of [[70, 70], [64, 67], [5, 40], [33, 33]] as const) {
    const fingerprints = new Map<string, string>()
    const hashes = new Map<string, number>()
    walk(completed * 31 + total, completed, total, 20_000, (set, reference) => {
      const key = id(reference)
      const fingerprint = set.fingerprint().join(',')
      const seen = fingerprints.get(fingerprint)
      assert.ok(seen === undefined || seen === key, `fingerprint ${fingerprint} for {${key}} and {${seen}}`)
      fingerprints.set(fingerprint, key)
      const hash = hashes.get(key)
      assert.ok(hash === undefined || hash === set.hash, `two hashes for {${key}}`)
      hashes.set(key, set.hash)
    })
    assert.ok(fingerprints.size > 1000, 'the walk visited many distinct sets')
  }
})

test('the memo answers "seen" exactly for configurations inserted before', () => {
  const memo = new ConfigurationMemo()
  const inserted = new Set<string>()
  let repeats = 0
  walk(7, 12, 14, 5000, (set, reference) => {
    for (const state of [0, 'x']) {
      const key = `${state}|${id(reference)}`
      const fresh = memo.insert(state, set)
      assert.equal(fresh, !inserted.has(key), key)
      if (!fresh) repeats++
      inserted.add(key)
    }
  })
  assert.ok(repeats > 1000, 'the walk came back to known configurations')
})

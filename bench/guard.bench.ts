/**
 * What guard() costs on one thread, as ratios to the bare SharedMap measured side by
 * side in one run (not wired into any script):
 *
 *   npx tsc -p . && node dist/bench/guard.bench.js
 *
 * Each variant runs get (read-cache hits) and set over the same 1024 keys, in
 * interleaved rounds so that a noisy machine slows them alike; the best round of each
 * is reported. The variants add one part at a time: the wrapper alone, a timeout (the
 * call scope), a count-rule breaker (one load to admit, one to settle), a rate-rule
 * breaker (a clock read and a window cell per success) and the audit log (a clock
 * read, a hash and a dozen stores per call).
 */
import { SharedMap, guard } from '../src/index.js'

const KEYS = Array.from({ length: 1024 }, (_, i) => `key:${i}`)
const ROUNDS = 7
let sink = 0

const map = new SharedMap<string, number>()
for (const [i, key] of KEYS.entries()) map.set(key, i)

const variants: ReadonlyArray<readonly [string, SharedMap<string, number>]> = [
  ['bare SharedMap', map],
  ['guard(map)', guard(map)],
  ['+ timeout', guard(map, { timeout: 50 })],
  ['+ breaker (count rule)', guard(map, { timeout: 50, breaker: { failures: 5 } })],
  ['+ breaker (rate rule)', guard(map, { timeout: 50, breaker: { failureRate: 0.5 } })],
  ['+ breaker + audit', guard(map, { timeout: 50, breaker: { failures: 5 }, audit: {} })],
]

function nsPerOp(target: SharedMap<string, number>, op: 'get' | 'set', iterations: number): number {
  const start = process.hrtime.bigint()
  if (op === 'get') for (let i = 0; i < iterations; i++) sink += target.get(KEYS[i & 1023] as string) ?? 0
  else for (let i = 0; i < iterations; i++) target.set(KEYS[i & 1023] as string, i)
  return Number(process.hrtime.bigint() - start) / iterations
}

for (const [op, iterations] of [['get', 1_000_000], ['set', 200_000]] as const) {
  const best = new Map<string, number>()
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, target] of variants) best.set(name, Math.min(best.get(name) ?? Infinity, nsPerOp(target, op, iterations)))
  }
  const bare = best.get('bare SharedMap') as number
  console.log(`\n${op}: best of ${ROUNDS} interleaved rounds of ${iterations} calls`)
  for (const [name, ns] of best) console.log(`  ${name.padEnd(26)} ${ns.toFixed(0).padStart(6)} ns/op  ${(ns / bare).toFixed(2)}x`)
}

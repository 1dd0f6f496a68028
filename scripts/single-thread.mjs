// The bench's single-thread section alone (src/bench/single-thread.ts, full plan: 100k
// keys, 3 rounds, a fresh worker per contender and round) for Map and 'optimistic',
// string and small-object values, printing ns per operation and the ratio to Map.
// Build first; run under the Node to measure (issue 9 reports Node 20 and 24).
//
//   node scripts/single-thread.mjs
const { runSingleThread } = await import('../dist/src/bench/single-thread.js')
const { PLANS } = await import('../dist/src/bench/plan.js')
const sets = ['string', 'object'].map((values) => ({ keys: PLANS.full.singleThread.keys, values, contenders: ['map', 'optimistic'], rounds: PLANS.full.singleThread.rounds }))
const rows = await runSingleThread(sets, PLANS.full, () => {})
console.log(`node ${process.version}, ${sets[0].keys} keys, median of ${sets[0].rounds} rounds: SharedMap 'optimistic' ns/op (x Map)`)
for (const r of rows) if (r.contender === 'optimistic') console.log(`${r.values.padEnd(7)} ${r.op.padEnd(10)} ${r.nsPerOp?.toFixed(0).padStart(5)} ns  ${r.ratioToMap?.toFixed(2)}x`)

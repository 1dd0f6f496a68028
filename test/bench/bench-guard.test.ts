// `conmap bench --only guard --smoke` in a real child process: the guard section alone,
// at tiny sizes, with real workers. Its JSON has every variant, in order, with a figure
// and a ratio to the bare map for get and set (the bare row being the bare map against
// another, about 1), and the table prints every variant's label.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GUARD_OPS, GUARD_VARIANTS, VARIANTS } from '../../src/bench/guard-loops.js'
import type { GuardBenchResult } from '../../src/bench/result.js'
import { runConmap } from '../helpers/cli.js'

test('conmap bench --only guard --smoke --json: every variant with ns and a ratio to the bare map for get and set', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'guard', '--smoke', '--json'])
  assert.equal(code, 0, stderr)
  const result = JSON.parse(stdout) as GuardBenchResult
  assert.equal(result.tool, 'conmap bench guard')
  assert.equal(result.ok, true)
  assert.deepEqual(result.guard.rows.map((r) => r.variant), [...GUARD_VARIANTS])
  for (const row of result.guard.rows) {
    assert.equal(row.error, undefined, row.label)
    assert.equal(row.samples.length, 1, `${row.label}: one round in smoke mode`)
    for (const op of GUARD_OPS) {
      assert.ok(row.ns[op] !== null && row.ns[op] > 0, `${row.label} ${op} has no figure`)
      assert.ok(row.ratio[op] !== null && row.ratio[op] > 0, `${row.label} ${op} has no ratio`)
    }
  }
  assert.ok(result.guard.notes.length > 0)
})

test('conmap bench --only guard --smoke: the table has a row per variant', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'guard', '--smoke'])
  assert.equal(code, 0, stderr)
  assert.match(stdout, /^conmap bench --only guard \(smoke\)/)
  for (const variant of GUARD_VARIANTS) assert.ok(stdout.includes(VARIANTS[variant].label), `no row for ${VARIANTS[variant].label}`)
})

// `conmap bench --only guard --smoke` in a real child process: the guard section alone,
// at tiny sizes, with real workers. Its JSON has every variant, in order, with a figure
// and a ratio to the bare map for get, has and set (the bare row being the bare map
// against another, about 1), the metrics rows among them, each row's verdict on the 10%
// aim agreeing with its ratios; the table prints every variant's label and verdict.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GUARD_OPS, GUARD_VARIANTS, VARIANTS } from '../../src/bench/guard-loops.js'
import type { GuardBenchResult } from '../../src/bench/result.js'
import { COST_AIM, evaluateCostAims, renderCostAims } from '../../src/bench/targets.js'
import { runConmap } from '../helpers/cli.js'

test('conmap bench --only guard --smoke --json: every variant, metrics: true included, with ns, a ratio to the bare map and the aim for get, has and set', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'guard', '--smoke', '--json'])
  assert.equal(code, 0, stderr)
  const result = JSON.parse(stdout) as GuardBenchResult
  assert.equal(result.tool, 'conmap bench guard')
  assert.equal(result.ok, true)
  assert.deepEqual(result.guard.rows.map((r) => r.variant), [...GUARD_VARIANTS])
  assert.ok(GUARD_VARIANTS.includes('metrics') && GUARD_VARIANTS.includes('metricsObjects'))
  assert.deepEqual([...GUARD_OPS], ['get', 'has', 'set'])
  for (const row of result.guard.rows) {
    assert.equal(row.error, undefined, row.label)
    assert.equal(row.samples.length, 1, `${row.label}: one round in smoke mode`)
    for (const op of GUARD_OPS) {
      assert.ok(row.ns[op] !== null && row.ns[op] > 0, `${row.label} ${op} has no figure`)
      assert.ok(row.ratio[op] !== null && row.ratio[op] > 0, `${row.label} ${op} has no ratio`)
    }
  }
  const aims = evaluateCostAims(result.guard)
  assert.deepEqual(aims.map((a) => a.variant), GUARD_VARIANTS.filter((v) => v !== 'bare'))
  const printed = renderCostAims(aims)
  for (const aim of aims) {
    const row = result.guard.rows.find((r) => r.variant === aim.variant)
    for (const op of GUARD_OPS) assert.deepEqual(aim.ops[op], { value: row?.ratio[op] ?? null, met: (row?.ratio[op] ?? Infinity) <= COST_AIM }, `${aim.label} ${op}`)
    const line = printed.split('\n').find((l) => l.trimStart().startsWith(`${aim.label} `))
    assert.equal(line?.match(/\b(met|NOT MET)\b/g)?.length, GUARD_OPS.length, `${aim.label}: a verdict per operation`)
  }
  assert.ok(result.guard.notes.length > 0)
})

test('conmap bench --only guard --smoke: the table has a row per variant', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['bench', '--only', 'guard', '--smoke'])
  assert.equal(code, 0, stderr)
  assert.match(stdout, /^conmap bench --only guard \(smoke\)/)
  const lines = stdout.split('\n')
  for (const variant of GUARD_VARIANTS) {
    const line = lines.find((l) => l.trimStart().startsWith(`${VARIANTS[variant].label} `))
    assert.ok(line !== undefined, `no row for ${VARIANTS[variant].label}`)
    assert.doesNotMatch(line, /\bmet\b|aim/i, line)
  }
})

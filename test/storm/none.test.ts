// Seed 000's story: the tests pass, production panics. Two writers on an unguarded
// map are caught ('concurrent map writes'), the map is poisoned, and the storm
// fails; the same storm on every other strategy passes (check.test.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stormCommand } from '../../src/cli/storm.js'
import { expectReport, storm } from './helpers.js'

test("'none' with two writers: ERR_CONCURRENT_MAP_WRITES, then a poisoned map, and a failing storm", async () => {
  const report = await storm({ concurrency: 'none', workers: 2, mix: 'set:50,delete:50', check: true })
  expectReport(report, !report.ok, 'the storm fails')
  expectReport(report, (report.errors['ERR_CONCURRENT_MAP_WRITES'] ?? 0) >= 1, 'concurrent map writes detected')
  assert.ok(Object.keys(report.errors).every((code) => code === 'ERR_CONCURRENT_MAP_WRITES' || code === 'ERR_MAP_POISONED'), JSON.stringify(report.errors))
  assert.deepEqual(report.misuse, ['ERR_CONCURRENT_MAP_WRITES'])
  assert.match(report.errorSamples['ERR_CONCURRENT_MAP_WRITES'] ?? '', /concurrent map writes/)
  assert.match(report.violations.join('\n'), /misuse detected under 'none': ERR_CONCURRENT_MAP_WRITES/)
  assert.ok(report.elapsed < 2, 'the workers stop at the detection')
})

test("'none' with the default mix: a misuse is detected (reads overlapping writes count too)", async () => {
  const out: string[] = []
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true }, isTTY: false }
  const code = await stormCommand(['--concurrency', 'none', '--workers', '2', '--duration', '2', '--json'], io as never)
  assert.equal(code, 1)
  const report = JSON.parse(out.join('')) as { ok: boolean; misuse: string[]; errors: Record<string, number> }
  assert.equal(report.ok, false)
  assert.ok(report.misuse.length === 1 && /^ERR_CONCURRENT_MAP_(WRITES|READ_WRITE)$/.test(report.misuse[0] ?? ''), JSON.stringify(report.errors))
})

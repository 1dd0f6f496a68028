// Storms of versioned operations (getVersioned / setIfVersion / deleteIfVersion)
// with --check: the conmap command in a child process, as a user runs it, finds
// SharedMap's histories linearizable versions included; maps that get versions
// wrong (setIfVersion ignoring the version, or refusing every one) are caught.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkHistory } from '../../src/check/index.js'
import type { StormReport } from '../../src/storm/index.js'
import { runConmap } from '../helpers/cli.js'
import { expectReport, refusingWorker, storm, versionlessWorker } from './helpers.js'

const MIX = 'get:40,set:20,getVersioned:15,setIfVersion:15,deleteIfVersion:10'
const OPS = ['get', 'set', 'getVersioned', 'setIfVersion', 'deleteIfVersion'] as const

for (const concurrency of ['optimistic', 'sharded'] as const) {
  test(`conmap storm --check, '${concurrency}', versioned mix: linearizable, versions included`, async () => {
    const { code, stdout, stderr } = await runConmap(['storm', '--concurrency', concurrency, '--workers', '4', '--duration', '2', '--keys', '64', '--check', '--mix', MIX, '--seed', '14', '--json'])
    assert.equal(code, 0, stderr + stdout)
    const report = JSON.parse(stdout) as StormReport
    expectReport(report, report.ok && report.linearizable === true, 'linearizable')
    expectReport(report, report.operationsChecked > 1000 && report.keysChecked > 0, 'keys checked')
    for (const op of OPS) expectReport(report, report.opsByType[op] > 0, `${op} ran`)
    expectReport(report, report.mix === MIX, 'the mix as given')
    assert.deepEqual(report.errors, {})
    assert.equal(report.lostAckedWrites, 0)
  })
}

test('kills mid-write under a versioned mix: pending versioned calls, still linearizable', async () => {
  const report = await storm({ concurrency: 'sharded', workers: 3, duration: 2, keys: 16, kill: 10, check: true, mix: MIX })
  expectReport(report, report.ok && report.linearizable === true, 'linearizable')
  expectReport(report, report.kills > 0, 'workers were killed')
})

function expectCaught(report: StormReport, op: 'setIfVersion'): void {
  expectReport(report, !report.ok && report.linearizable === false, 'not linearizable')
  const example = report.counterexample
  assert.ok(example !== undefined)
  assert.ok(example.operations.some((o) => o.op === op), `the broken ${op} is in the counter-example:\n${example.text}`)
  assert.ok(example.operations.length <= 12, `${example.operations.length} operations`)
  assert.equal(checkHistory(example.operations).linearizable, false, 'the counter-example fails on its own')
}

test('a map whose setIfVersion ignores the version is caught, with a counter-example', async () => {
  expectCaught(await storm({ concurrency: 'mutex', workers: 2, duration: 1, keys: 8, check: true, mix: MIX }, { worker: versionlessWorker }), 'setIfVersion')
})

test('a map whose setIfVersion refuses every version is caught too', async () => {
  expectCaught(await storm({ concurrency: 'mutex', workers: 2, duration: 1, keys: 8, check: true, mix: MIX }, { worker: refusingWorker }), 'setIfVersion')
})

// The versioned model against a real kill: a writer killed in setIfVersion after it
// marked the key's record DEAD (failpoint 'put:retired', real worker thread) leaves
// the old value in place with a version that moves on with the shard's writes. The
// recorded history, with the killed call pending, passes; the same answers with no
// kill in the history fail, since then a record would have changed its version.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { SharedMap, watch } from '../../src/index.js'
import { checkHistory, type Operation } from '../../src/check/index.js'
import { exited, reached, start } from '../helpers/workers.js'

const worker = fileURLToPath(new URL('../fixtures/versions-worker.js', import.meta.url))

test('a DEAD record reads as a later version: checked as such only after a writer of the key was killed', async () => {
  const map = new SharedMap<string, unknown>({ concurrency: 'sharded', shards: 1, initialCapacity: 8 })
  const history: Operation[] = []
  const record = (op: Operation['op'], args: unknown[], run: () => unknown) => {
    const call = performance.now()
    const result = run()
    history.push({ thread: 0, key: 'k', op, args, result, call, ret: performance.now() })
  }
  record('set', ['A'], () => map.set('k', 'A'))
  const before = map.getVersioned('k')!.version
  record('getVersioned', [], () => map.getVersioned('k'))
  const gate = new SharedArrayBuffer(4)
  const killedAt = performance.now()
  const writer = start('killed', { handle: map.handle, point: 'put:retired', gate, key: 'k', op: 'set', version: before }, worker)
  watch(writer.worker)
  assert.ok(await reached(gate, 20_000), "'put:retired' was reached")
  await writer.worker.terminate()
  await exited(writer.worker)
  const killed: Operation = { thread: 1, key: 'k', op: 'setIfVersion', args: ['new', before], call: killedAt }
  for (let i = 0; i < 3; i++) map.set(`other${i}`, i)
  const after = map.getVersioned('k')
  assert.ok(after !== undefined && after.value === 'A' && after.version > before, `the old record, at a later version: ${JSON.stringify(after)}`)
  record('getVersioned', [], () => map.getVersioned('k'))
  record('setIfVersion', ['late', before], () => map.setIfVersion('k', 'late', before))
  const current = map.getVersioned('k')!.version
  record('setIfVersion', ['next', current], () => map.setIfVersion('k', 'next', current))
  record('getVersioned', [], () => map.getVersioned('k'))
  assert.deepEqual(
    history.slice(3).map((op) => op.result),
    [false, true, { value: 'next', version: (history[5]!.result as { version: number }).version }],
  )

  assert.equal(checkHistory([...history, killed]).linearizable, true, 'with the killed call pending')
  assert.equal(checkHistory(history).linearizable, false, 'with no kill, a record keeps its version')
})

// Storms started under Node options a worker cannot take in its execArgv: per-process
// and V8 options, and --input-type. Each runs in a child process, as a user runs it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const index = new URL('../../src/storm/index.js', import.meta.url).href
const sourceMapsWorker = new URL('./fixtures/source-maps-worker.js', import.meta.url).href
const underTest = fileURLToPath(new URL('./fixtures/storm-under-test.js', import.meta.url))

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  // Without NODE_TEST_CONTEXT, which this file's own runner sets, a child `node --test`
  // runs its files instead of reporting to this runner.
  const { NODE_TEST_CONTEXT: _, ...inherited } = process.env
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...inherited, ...env } })
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, output }))
  })
}

test('a storm inside `node --test`, whose file runs with per-process and V8 options, keeps per-thread ones', async () => {
  const { code, output } = await run(['--enable-source-maps', '--expose-gc', '--secure-heap=0', '--v8-pool-size=2', '--test', underTest])
  assert.equal(code, 0, output)
})

test('a storm under --input-type from NODE_OPTIONS', async () => {
  const script = `import { runStorm, formatStormReport } from ${JSON.stringify(index)}
const report = await runStorm({ workers: 2, duration: 0.5, keys: 64, check: true, seed: 12 }, { worker: new URL(${JSON.stringify(sourceMapsWorker)}) })
if (!report.ok) throw new Error(formatStormReport(report))`
  const { code, output } = await run(['--enable-source-maps', '-e', script], { NODE_OPTIONS: '--input-type=module' })
  assert.equal(code, 0, output)
})

// The `conmap` command's top level in a real child process (dist/src/cli/main.js), as
// `npx conmap` runs it: --help, -h, --version, 'help <command>', every command's own
// --help, and usage errors with status 2 and nothing on stdout.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { runConmap } from '../helpers/cli.js'

const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
const COMMANDS = ['demo', 'storm', 'bench'] as const

test('--help, -h, help and no arguments print the usage with every command, status 0', async () => {
  const runs = await Promise.all([['--help'], ['-h'], ['help'], []].map((args) => runConmap(args)))
  for (const { code, stdout, stderr } of runs) {
    assert.equal(code, 0, stderr)
    assert.equal(stderr, '')
    assert.match(stdout, /^usage: conmap <command> \[options\]/)
    for (const name of COMMANDS) assert.match(stdout, new RegExp(`^  ${name} `, 'm'))
    assert.match(stdout, /--version/)
  }
  assert.equal(new Set(runs.map((r) => r.stdout)).size, 1)
})

test('--version and -v print the version of package.json, read at run time', async () => {
  for (const flag of ['--version', '-v']) {
    const { code, stdout, stderr } = await runConmap([flag])
    assert.equal(code, 0, stderr)
    assert.equal(stdout, `${manifest.version}\n`)
  }
})

test("each command's help: 'conmap <command> --help', '-h', 'conmap help <command>', 'conmap --help <command>'", async () => {
  for (const name of COMMANDS) {
    const runs = await Promise.all([[name, '--help'], [name, '-h'], ['help', name], ['--help', name]].map((args) => runConmap(args)))
    for (const { code, stdout, stderr } of runs) {
      assert.equal(code, 0, `${name}: ${stderr}`)
      assert.match(stdout, new RegExp(`^usage: conmap ${name} `))
    }
    assert.equal(new Set(runs.map((r) => r.stdout)).size, 1, `${name}: the help differs between its forms`)
  }
})

test('an unknown command or option, or help for one, is a usage error: status 2, the usage on stderr', async () => {
  const cases: readonly [readonly string[], RegExp][] = [
    [['frobnicate'], /^conmap: unknown command 'frobnicate'\n/],
    [['--frobnicate'], /^conmap: unknown option '--frobnicate'\n/],
    [['help', 'frobnicate'], /^conmap: no help for 'frobnicate'\n/],
    [['--version', 'now'], /^conmap: --version takes no arguments, got 'now'\n/],
    [['demo', '--frobnicate'], /^conmap demo: Unknown option '--frobnicate'/],
    [['demo', '--seconds', '0'], /^conmap demo: --seconds must be a positive number of seconds, got '0'\n/],
  ]
  for (const [args, message] of cases) {
    const { code, stdout, stderr } = await runConmap(args)
    assert.equal(code, 2, args.join(' '))
    assert.equal(stdout, '', args.join(' '))
    assert.match(stderr, message)
    assert.match(stderr, /^usage: conmap /m)
  }
})

test('conmap demo --json --seconds S runs the four acts and prints one JSON document', { timeout: 120_000 }, async () => {
  const { code, stdout, stderr } = await runConmap(['demo', '--json', '--seconds', '0.3'])
  assert.equal(code, 0, stderr)
  const report = JSON.parse(stdout) as { workers: number; none: { detected: string[] }; strategies: { concurrency: string; lost: number; increments: number }[] }
  assert.ok(report.workers >= 4)
  assert.ok(report.none.detected.some((c) => c.startsWith('ERR_CONCURRENT_MAP_')), JSON.stringify(report.none))
  assert.deepEqual(
    report.strategies.map((s) => s.concurrency),
    ['mutex', 'rwmutex', 'sharded', 'optimistic'],
  )
  for (const s of report.strategies) {
    assert.equal(s.lost, 0, s.concurrency)
    assert.ok(s.increments > 0, s.concurrency)
  }
  const { async } = report as unknown as { async: { visits: number; racy: { counted: number; reported: number; fix: string }; locked: { counted: number; reported: number } } }
  assert.ok(async.racy.counted < async.visits && async.racy.reported > 0, JSON.stringify(async))
  assert.match(async.racy.fix, /KeyedMutex/)
  assert.deepEqual(async.locked, { counted: async.visits, reported: 0 })
})

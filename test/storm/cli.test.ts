// `conmap storm` end to end, in a child process as a user runs it: argv in, one
// JSON document or a text report out, and the exit status.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runNode, type Ran } from '../helpers/cli.js'
import { stormCommand } from '../../src/cli/storm.js'

const command = new URL('../../src/cli/storm.js', import.meta.url).href
const SCRIPT = `import { stormCommand } from ${JSON.stringify(command)}
process.exitCode = await stormCommand(process.argv.slice(1), { stdout: process.stdout, stderr: process.stderr, isTTY: false })`

function run(args: string[]): Promise<Ran> {
  return runNode(['--input-type=module', '-e', SCRIPT, '--', ...args])
}

test('--json: exactly one JSON document on stdout, with the promised fields; exit 0', async () => {
  const { code, stdout, stderr } = await run(['--concurrency', 'sharded', '--workers', '2', '--duration', '1', '--keys', '64', '--check', '--check-limit', '50000', '--kill', '2', '--grow', '--seed', '9', '--json'])
  assert.equal(code, 0, stderr + stdout)
  const report = JSON.parse(stdout) as Record<string, unknown>
  for (const field of ['concurrency', 'workers', 'ops', 'opsPerSec', 'errors', 'latency', 'linearizable', 'operationsChecked', 'keysChecked', 'kills', 'lostAckedWrites', 'invariantViolations']) {
    assert.ok(field in report, field)
  }
  assert.equal(report['concurrency'], 'sharded')
  assert.equal(report['workers'], 2)
  assert.equal(report['seed'], 9)
  assert.equal(report['grow'], true)
  const buffer = report['buffer'] as { initialBytes: number; finalBytes: number; growths: number }
  assert.ok(buffer.growths > 0 && buffer.finalBytes > buffer.initialBytes, JSON.stringify(buffer))
  assert.equal(report['linearizable'], true)
  assert.equal(report['lostAckedWrites'], 0)
  assert.equal(report['invariantViolations'], 0)
  assert.deepEqual(report['errors'], {})
  assert.ok((report['ops'] as number) > 0 && (report['operationsChecked'] as number) > 0)
  const get = (report['latency'] as Record<string, Record<string, number>>)['get']
  assert.ok(get !== undefined && ['count', 'p50', 'p99', 'p999', 'max'].every((k) => typeof get[k] === 'number'))
  assert.equal(stderr, '', 'no status line without a TTY')
})

test('--ttl and --max-entries: a cache storm, checked as one and said so; exit 0', async () => {
  const { code, stdout, stderr } = await run(['--workers', '2', '--duration', '1', '--keys', '64', '--check', '--ttl', '3', '--max-entries', '16', '--seed', '10'])
  assert.equal(code, 0, stderr + stdout)
  assert.match(stdout, /cache +a cache storm, ttl 3 ms, at most 16 entries: [\d,]+ expired, [\d,]+ evicted; [\d,]+ recorded read\(s\) found a key vanished/)
  assert.match(stdout, /check +linearizable[\s\S]*lost acknowledged writes 0[\s\S]*result +PASS/)
  const json = await run(['--workers', '2', '--duration', '0.5', '--keys', '64', '--max-entries', '8', '--kill', '2', '--json'])
  assert.equal(json.code, 0, json.stderr + json.stdout)
  const cache = (JSON.parse(json.stdout) as { cache: Record<string, unknown> }).cache
  assert.equal(cache['ttl'], null)
  assert.equal(cache['maxEntries'], 8)
  assert.ok((cache['evictions'] as number) > 0 && typeof cache['vanishedReads'] === 'number', JSON.stringify(cache))
})

test('a violation exits 1: two writers on a map with no locks', async () => {
  const { code, stdout } = await run(['--concurrency', 'none', '--workers', '2', '--mix', 'set:1,delete:1', '--duration', '2'])
  assert.equal(code, 1)
  assert.match(stdout, /ERR_CONCURRENT_MAP_WRITES/)
  assert.match(stdout, /fatal error: concurrent map writes/)
  assert.match(stdout, /result\s+FAIL/)
  assert.doesNotMatch(stdout, /\u001b\[/, 'plain text when not a TTY')
})

test('bad options exit 2 with a message on stderr and nothing on stdout', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--workers', 'many'], /--workers must be an integer from 1 to 256, got 'many'/],
    [['--concurrency', 'lockfree'], /--concurrency must be one of optimistic, sharded, rwmutex, mutex, none/],
    [['--mix', 'get:1,range:1'], /--mix: unknown operation 'range'/],
    [['--duration=-1'], /--duration must be a number above 0 and at most 86400, got '-1'/],
    [['--kill'], /argument missing/],
    [['--ttl=-5'], /--ttl must be an integer from 1 to 86400000, got '-5'/],
    [['--max-entries', 'few'], /--max-entries must be an integer from 1 to 2147483648, got 'few'/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['extra'], /Unexpected argument 'extra'/],
  ]
  for (const [args, message] of cases) {
    const out: string[] = []
    const err: string[] = []
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, isTTY: false }
    assert.equal(await stormCommand(args, io as never), 2, args.join(' '))
    assert.match(err.join(''), message)
    assert.equal(out.join(''), '')
  }
  const { code, stdout, stderr } = await run(['--value-size', '0'])
  assert.equal(code, 2)
  assert.equal(stdout, '')
  assert.match(stderr, /^conmap storm: --value-size must be an integer from 1 to 1048576, got '0'/)
})

test('--help prints the options and exits 0; a TTY gets a live status line on stderr', async () => {
  const out: string[] = []
  const err: string[] = []
  const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, isTTY: true }
  assert.equal(await stormCommand(['--help'], io as never), 0)
  assert.match(out.join(''), /--concurrency[\s\S]*--grow[\s\S]*--kill <rate>[\s\S]*--ttl <ms>[\s\S]*--max-entries <n>[\s\S]*--json/)
  out.length = 0
  assert.equal(await stormCommand(['--duration', '0.8', '--workers', '2'], io as never), 0)
  assert.match(err.join(''), /\r\u001b\[2Kstorm: \d\.\d\/0\.8 s +[\d.]+[kM]? ops\/s +errors 0/)
  assert.match(out.join(''), /operations +[\d,]+ in [\d.]+ s: [\d,]+ ops\/s\n +buffer +[\d,]+ → [\d,]+ bytes: grew \d+ time\(s\)[\s\S]*latency \(µs\)[\s\S]*result +PASS/)
})

/**
 * `conmap bench`: SharedMap side by side with a plain Map, a postMessage-served Map
 * and the peer libraries (sharedmap, lmdb, @bnaya/objectbuffer, when installed).
 * A table by default, exactly one JSON document on stdout with --json; progress
 * goes to stderr on a TTY. Exit status 1 when any measurement failed its checks.
 */
import { renderCacheReport } from '../bench/cache-report.js'
import { renderReport } from '../bench/report.js'
import { renderGuardReport } from '../bench/guard-report.js'
import { renderRedisReport } from '../bench/redis-report.js'
import { runBench, runCacheBench, runGuardBench, runRedisBench } from '../bench/run.js'
import type { Mode } from '../bench/plan.js'
import { StatusLine, type Io } from './terminal.js'

const USAGE = `usage: conmap bench [--quick | --smoke] [--only cache | --only guard | --only redis] [--json]

  (default)     the full run, about 10 minutes on 2 cores
  --quick       under a minute: one round, 1-2 workers, fewer keys
  --smoke       about half a minute, tiny sizes: checks that every section runs
  --only cache  the cache section alone (hit ratios against lru-cache, duplicate
                work of getOrComputeAsync against an lru-cache per worker, cost of
                ttl and bounds): about a minute and a half in full
  --only guard  the guard section alone (get and set through guard() against the
                bare map, as ratios): under two minutes in full (--quick: 25 s)
  --only redis  the Redis section alone (RedisMap get, set and update against raw
                node-redis HGET/HSET and redis-benchmark on a redis-server of its
                own, at 1, 16 and 256 concurrent callers): about a minute in full
                (--quick: 25 s); skipped, saying so, without redis-server on PATH
  --json        one JSON document on stdout instead of the tables
`

/** Sections that run on their own with --only. */
const ONLY = ['cache', 'guard', 'redis'] as const

export async function benchCommand(argv: string[], io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream; isTTY: boolean }): Promise<number> {
  const known = new Set(['--quick', '--smoke', '--json'])
  if (argv.includes('--help') || argv.includes('-h')) {
    io.stdout.write(USAGE)
    return 0
  }
  const at = argv.indexOf('--only')
  const only = at === -1 ? undefined : argv[at + 1]
  const unknown = argv.filter((a, i) => !known.has(a) && !(at !== -1 && (i === at || i === at + 1)))
  if (only !== undefined && !ONLY.some((name) => name === only)) unknown.push(`--only ${only}`)
  if (unknown.length > 0 || (at !== -1 && only === undefined) || (argv.includes('--quick') && argv.includes('--smoke'))) {
    io.stderr.write(`${unknown.length > 0 ? `conmap bench: unknown option ${unknown.join(' ')}\n` : ''}${USAGE}`)
    return 2
  }
  const mode: Mode = argv.includes('--smoke') ? 'smoke' : argv.includes('--quick') ? 'quick' : 'full'
  const json = argv.includes('--json')
  const status = new StatusLine(io as Io)
  const options = { mode, command: ['conmap', 'bench', ...argv].join(' '), progress: (text: string) => status.update(text) }
  if (only === 'cache') {
    const result = await runCacheBench(options)
    status.clear()
    io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : renderCacheReport(result))
    return result.ok ? 0 : 1
  }
  if (only === 'guard') {
    const result = await runGuardBench(options)
    status.clear()
    io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : renderGuardReport(result))
    return result.ok ? 0 : 1
  }
  if (only === 'redis') {
    const result = await runRedisBench(options)
    status.clear()
    io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : renderRedisReport(result))
    return result.ok ? 0 : 1
  }
  const result = await runBench(options)
  status.clear()
  io.stdout.write(json ? `${JSON.stringify(result, null, 2)}\n` : renderReport(result))
  return result.ok ? 0 : 1
}

/**
 * `conmap storm`: argv → options → runStorm → report. Exit status: 0 when the storm
 * found nothing wrong, 1 on any violation (or when the storm could not run), 2 on
 * bad options. With --json, stdout holds exactly one JSON document (the report);
 * everything else goes to stderr. On a TTY a live status line on stderr shows
 * elapsed time, ops/s, errors and kills. Ctrl-C stops the storm early and still
 * reports what ran (during the final check it ends the process).
 */
import { parseArgs } from 'node:util'
import { isConmapError } from '../errors/index.js'
import { DEFAULTS, DEFAULT_MIX, formatStormReport, runStorm, validateStormOptions, type StormOptions, type StormProgress } from '../storm/index.js'
import { formatRate, StatusLine, type Io } from './terminal.js'
import { splitBackend, stormRedisCommand } from './storm-redis.js'

const USAGE = `usage: conmap storm [options]

Many worker threads against one SharedMap, with fault injection and
linearizability checking.

  --concurrency <s>    optimistic | sharded | rwmutex | mutex | none (default ${DEFAULTS.concurrency})
  --workers <n>        worker threads (default ${DEFAULTS.workers})
  --duration <s>       seconds to run, fractions allowed (default ${DEFAULTS.duration})
  --keys <n>           key space k0 … k<n-1> (default ${DEFAULTS.keys})
  --mix <spec>         operation weights (default ${DEFAULT_MIX});
                       get has set delete loadOrStore loadAndDelete swap
                       compareAndSwap compareAndDelete getOrCompute update
                       getVersioned setIfVersion deleteIfVersion (these two
                       expect versions getVersioned read, some stale or made up)
  --value-size <b>     bytes per written value (default ${DEFAULTS.valueSize})
  --grow               keep the map's buffer growing: a minimal map, and values
                       that grow in length through the run (the least is
                       --value-size)
  --stall-reads <µs>   readers spin this long, once in 16 reads, inside the read
                       (default 0): widens race windows so a storm finds them
  --seed <n>           seed of the operation streams (default random; reported)
  --check              record histories and check them for linearizability
  --check-limit <n>    operations kept for the check (default ${DEFAULTS.checkLimit})
  --check-timeout <s>  budget of the check (default ${DEFAULTS.checkTimeout})
  --kill <rate>        kill and respawn workers, <rate> per second (default off)
  --shards <n>         shards of the map (power of two; default SharedMap's)
  --stall-timeout <s>  no progress for this long is a deadlock (default ${DEFAULTS.stallTimeout})
  --ttl <ms>           a cache map whose entries expire this long after each
                       write (default: never)
  --max-entries <n>    a cache map bounded to n entries: writes past it evict
                       (default: unbounded); with either, entries may vanish
                       and the checks make sure none reappears
  --max-bytes <n>      maxBytes of the map, with --max-entries (from 262144):
                       a full arena evicts, and writes take the blocks other
                       shards freed
  --metrics            make the map with metrics: report lock-wait p50/p99/p99.9
                       and the hot keys at the end
  --json               print the report as one JSON document on stdout
  --backend <b>        shared (default) | redis: a RedisMap on a real server
                       (conmap storm --backend redis --help)
  -h, --help           this text

Exit status: 0 no violation, 1 a violation (non-linearizable history, lost
acknowledged write, invariant failure, deadlock, misuse detected), 2 bad options.
`

/** Flag of each option, for messages. */
const FLAGS: Readonly<Record<keyof StormOptions, string>> = {
  concurrency: '--concurrency',
  workers: '--workers',
  duration: '--duration',
  keys: '--keys',
  mix: '--mix',
  valueSize: '--value-size',
  grow: '--grow',
  stallReads: '--stall-reads',
  seed: '--seed',
  check: '--check',
  metrics: '--metrics',
  checkLimit: '--check-limit',
  checkTimeout: '--check-timeout',
  kill: '--kill',
  shards: '--shards',
  stallTimeout: '--stall-timeout',
  ttl: '--ttl',
  maxEntries: '--max-entries',
  maxBytes: '--max-bytes',
}

const VALUE_OPTIONS = ['concurrency', 'workers', 'duration', 'keys', 'mix', 'valueSize', 'stallReads', 'seed', 'checkLimit', 'checkTimeout', 'kill', 'shards', 'stallTimeout', 'ttl', 'maxEntries', 'maxBytes'] as const

export async function stormCommand(argv: string[], io: Io): Promise<number> {
  const backend = splitBackend(argv)
  if (backend.kind === 'redis') return stormRedisCommand(backend.argv, io)
  if (backend.kind === 'invalid') {
    io.stderr.write(`conmap storm: ${backend.message}\n`)
    return 2
  }
  argv = backend.argv
  let options: StormOptions
  let json: boolean
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(VALUE_OPTIONS.map((name) => [FLAGS[name].slice(2), { type: 'string' } as const])),
        check: { type: 'boolean' },
        metrics: { type: 'boolean' },
        grow: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
    const values = parsed.values as Record<string, string | boolean | undefined>
    if (values['help'] === true) {
      io.stdout.write(USAGE)
      return 0
    }
    json = values['json'] === true
    const input: Record<string, string | boolean> = {}
    for (const name of VALUE_OPTIONS) {
      const value = values[FLAGS[name].slice(2)]
      if (typeof value === 'string') input[name] = value
    }
    if (values['check'] === true) input['check'] = true
    if (values['grow'] === true) input['grow'] = true
    if (values['metrics'] === true) input['metrics'] = true
    options = validateStormOptions(input, (name) => FLAGS[name])
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    io.stderr.write(`conmap storm: ${message}\n(conmap storm --help lists the options)\n`)
    return 2
  }

  const status = new StatusLine(io)
  const abort = new AbortController()
  const onSigint = () => abort.abort()
  process.once('SIGINT', onSigint)
  try {
    const report = await runStorm(options, {
      signal: abort.signal,
      onProgress: (p) => {
        // Verification and the check run synchronously: from there on Ctrl-C must
        // end the process at once, which Node does only without a listener.
        if (p.phase === 'verifying' || p.phase === 'checking') process.off('SIGINT', onSigint)
        status.update(statusText(p, options))
      },
    })
    status.clear()
    io.stdout.write(json ? `${JSON.stringify(report, jsonSafe, 2)}\n` : formatStormReport(report))
    return report.ok ? 0 : 1
  } catch (err) {
    status.clear()
    if (isConmapError(err, 'ERR_INVALID_ARGUMENT')) {
      io.stderr.write(`conmap storm: ${err.message}\n`)
      return 2
    }
    io.stderr.write(`conmap storm: the storm could not run: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSigint)
  }
}

/** Values a broken map returned may be bigints, which JSON cannot hold: written as '12n'. */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value
}

function statusText(p: StormProgress, options: StormOptions): string {
  switch (p.phase) {
    case 'starting':
      return `storm: starting ${options.workers} worker(s)…`
    case 'verifying':
      return 'storm: verifying the map after the storm…'
    case 'checking':
      return 'storm: checking the history for linearizability…'
    case 'running':
      return `storm: ${p.elapsed.toFixed(1)}/${options.duration} s  ${formatRate(p.opsPerSec)} ops/s  errors ${p.errors}${options.kill > 0 ? `  kills ${p.kills}` : ''}`
  }
}

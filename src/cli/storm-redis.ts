/**
 * `conmap storm --backend redis`: argv → options → runRedisStorm → report, with the
 * exit status of `conmap storm` (0 nothing wrong, 1 a violation or a storm that could
 * not run, 2 bad options). The SharedMap storm's options that have no meaning on a
 * server (--kill, --grow, --shards, …) are refused by name, not ignored.
 */
import { parseArgs } from 'node:util'
import { isConmapError } from '../errors/index.js'
import { DEFAULT_REDIS_MIX, formatRedisStormReport, REDIS_DEFAULTS, runRedisStorm, validateRedisStormOptions, type RedisStormOptions } from '../storm/index.js'
import type { Io } from './terminal.js'

const USAGE = `usage: conmap storm --backend redis --redis-url <url> [options]

Worker threads, each on its own connection, against one RedisMap on a real
Redis server or cluster, with linearizability checking per key.

  --redis-url <url>        redis://[user:password@]host:port; with --cluster any
                           node (or several, comma-separated)
  --cluster                the server is a Redis Cluster
  --client <lib>           node-redis | ioredis (default ${REDIS_DEFAULTS.client})
  --workers <n>            worker threads (default ${REDIS_DEFAULTS.workers})
  --tasks <n>              concurrent callers per worker (default ${REDIS_DEFAULTS.tasks})
  --duration <s>           seconds to run, fractions allowed (default ${REDIS_DEFAULTS.duration})
  --keys <n>               key space k0 … k<n-1> (default ${REDIS_DEFAULTS.keys})
  --mix <spec>             operation weights (default ${DEFAULT_REDIS_MIX})
  --seed <n>               seed of the operation streams (default random; reported)
  --check                  record the history and check it for linearizability;
                           calls whose reply was lost are checked as pending
  --check-timeout <s>      budget of the check (default ${REDIS_DEFAULTS.checkTimeout})
  --connect-timeout <ms>   wait this long for the server (default ${REDIS_DEFAULTS.connectTimeout})
  --json                   print the report as one JSON document on stdout
  -h, --help               this text

The map gets a fresh unique name and is cleared at the end.
Exit status: 0 no violation, 1 a violation (non-linearizable history, an
unexpected error) or the storm could not run, 2 bad options.
`

const FLAGS: Readonly<Record<keyof RedisStormOptions, string>> = {
  url: '--redis-url',
  cluster: '--cluster',
  client: '--client',
  workers: '--workers',
  tasks: '--tasks',
  duration: '--duration',
  keys: '--keys',
  mix: '--mix',
  seed: '--seed',
  check: '--check',
  checkTimeout: '--check-timeout',
  connectTimeout: '--connect-timeout',
}

const VALUE_OPTIONS = ['url', 'client', 'workers', 'tasks', 'duration', 'keys', 'mix', 'seed', 'checkTimeout', 'connectTimeout'] as const

/** The SharedMap storm's options, which mean nothing on a server. */
const REFUSED_VALUES = ['concurrency', 'value-size', 'stall-reads', 'check-limit', 'kill', 'shards', 'stall-timeout', 'ttl', 'max-entries', 'max-bytes'] as const
const REFUSED_FLAGS = ['grow', 'metrics'] as const

export type Backend = { readonly kind: 'shared' | 'redis'; readonly argv: string[] } | { readonly kind: 'invalid'; readonly message: string }

/** Takes `--backend shared|redis` (or `--backend=…`) out of argv; shared when absent. */
export function splitBackend(argv: readonly string[]): Backend {
  const rest: string[] = []
  let backend: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === '--') {
      rest.push(...argv.slice(i))
      break
    }
    if (arg === '--backend' || arg.startsWith('--backend=')) {
      if (backend !== undefined) return { kind: 'invalid', message: '--backend is given twice' }
      backend = arg === '--backend' ? argv[++i] : arg.slice('--backend='.length)
      if (backend === undefined) return { kind: 'invalid', message: "--backend needs a value: 'shared' or 'redis'" }
      continue
    }
    rest.push(arg)
  }
  if (backend === undefined || backend === 'shared') return { kind: 'shared', argv: rest }
  if (backend === 'redis') return { kind: 'redis', argv: rest }
  return { kind: 'invalid', message: `--backend must be 'shared' or 'redis', got '${backend}'` }
}

export async function stormRedisCommand(argv: string[], io: Io): Promise<number> {
  let options: RedisStormOptions
  let json: boolean
  try {
    const parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(VALUE_OPTIONS.map((name) => [FLAGS[name].slice(2), { type: 'string' } as const])),
        ...Object.fromEntries(REFUSED_VALUES.map((name) => [name, { type: 'string' } as const])),
        ...Object.fromEntries(REFUSED_FLAGS.map((name) => [name, { type: 'boolean' } as const])),
        cluster: { type: 'boolean' },
        check: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    })
    const values = parsed.values as Record<string, string | boolean | undefined>
    if (values['help'] === true) {
      io.stdout.write(USAGE)
      return 0
    }
    for (const name of [...REFUSED_VALUES, ...REFUSED_FLAGS]) {
      if (values[name] !== undefined) throw new Error(`--${name} does not apply to --backend redis`)
    }
    json = values['json'] === true
    const input: Record<string, string | boolean> = {}
    for (const name of VALUE_OPTIONS) {
      const value = values[FLAGS[name].slice(2)]
      if (typeof value === 'string') input[name] = value
    }
    if (values['cluster'] === true) input['cluster'] = true
    if (values['check'] === true) input['check'] = true
    options = validateRedisStormOptions(input, (name) => FLAGS[name])
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    io.stderr.write(`conmap storm: ${message}\n(conmap storm --backend redis --help lists the options)\n`)
    return 2
  }
  try {
    const report = await runRedisStorm(options)
    io.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : formatRedisStormReport(report))
    return report.ok ? 0 : 1
  } catch (err) {
    if (isConmapError(err, 'ERR_INVALID_ARGUMENT')) {
      io.stderr.write(`conmap storm: ${err.message}\n`)
      return 2
    }
    io.stderr.write(`conmap storm: the storm could not run: ${err instanceof Error ? err.message : String(err)}\n`)
    return 1
  }
}

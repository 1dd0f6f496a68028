/**
 * One `conmap bench` run, section by section: the machine and peers, single-thread
 * operations and memory, multi-worker mixes side by side with Map, postMessage and
 * the peers, each operation by strategy and worker count, seed 000's experiment and
 * the cache section and the guard section, and lock waits and hot keys on maps with
 * metrics: true, and RedisMap against raw node-redis and redis-benchmark; then the notes
 * that say what was not measured and why. `--only cache`, `--only guard` and `--only
 * redis` run one section alone.
 */
import { packageVersion } from '../cli/version.js'
import { cacheOk, runCacheSection } from './cache.js'
import { STRATEGIES } from './contenders.js'
import { contentionOk, runContentionSection } from './contention.js'
import { shortCount } from './format.js'
import { guardOk, runGuardSection } from './guard-section.js'
import { describeOrder, type KeyOrder } from './keys.js'
import { describeMachine } from './machine.js'
import { runMemory } from './memory.js'
import type { MemoryJob } from './memory-child.js'
import { describePeers } from './peers.js'
import { PLANS, type Mode, type Plan } from './plan.js'
import type { RedisBenchResult } from './redis-result.js'
import { redisOk, runRedisSection } from './redis-section.js'
import type { BenchResult, CacheBenchResult, GuardBenchResult, ContenderId, Op, ValueKind, Workload } from './result.js'
import { runSection, type Case, type Progress } from './section.js'
import { compareWithSeed, SEED_000 } from './seed000.js'
import { OBJECTBUFFER_DELETE, runSingleThread, type SingleThreadSet } from './single-thread.js'

export interface RunOptions {
  readonly mode: Mode
  /** The command line as typed, recorded in the result and on every chart. */
  readonly command: string
  readonly progress: Progress
}

const OPS: readonly Op[] = ['get', 'set', 'update', 'delete']

export async function runBench(options: RunOptions): Promise<BenchResult> {
  const plan = PLANS[options.mode]
  const began = performance.now()
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const peers = await describePeers()
  const has = (name: string) => peers.some((p) => p.name === name && p.available)
  const peerIds: ContenderId[] = [...(has('sharedmap') ? ['sharedmap' as const] : []), ...(has('lmdb') ? ['lmdb' as const] : [])]
  const objectbuffer: ContenderId[] = has('@bnaya/objectbuffer') ? ['objectbuffer'] : []
  const { progress } = options

  const sets = singleThreadSets(plan, peerIds, objectbuffer)
  const singleThread = { rows: await runSingleThread(sets, plan, progress), memory: await runMemory(memoryJobs(sets, plan), progress) }
  const throughput = await runSection('workers', throughputCases(plan, peerIds), plan.throughput, progress)
  const operations = await runSection('operations', operationCases(plan), plan.operations, progress)
  const seedCase: Case = {
    id: caseId({ kind: 'mix', readShare: 0.9 }, 'string', plan.smallKeys, 'uniform'),
    workload: { kind: 'mix', readShare: 0.9 },
    values: 'string',
    keys: plan.smallKeys,
    keyOrder: 'uniform',
    contenders: ['map', 'rwmutex', 'sharded', 'optimistic', 'postmessage', ...peerIds, ...objectbuffer],
    workers: plan.seed.workers,
    shards: { sharded: 16 },
  }
  const seedSection = await runSection('Go article', [seedCase], plan.seed, progress)
  const cache = await runCacheSection(plan.cache, progress)
  const guard = await runGuardSection(plan.guard, progress)
  const contention = await runContentionSection(plan.contention, progress)
  const redis = await runRedisSection(plan.redis, progress)

  const partial = { singleThread, throughput, operations }
  const rows = [...throughput.rows, ...operations.rows, ...seedSection.rows]
  return {
    tool: 'conmap bench',
    version: packageVersion(),
    command: options.command,
    mode: plan.mode,
    startedAt,
    seconds: Math.round((performance.now() - began) / 100) / 10,
    machine,
    peers,
    ...partial,
    seed000: { ...seedSection, seed: SEED_000, comparison: compareWithSeed(seedSection.rows, plan.seed.workers) },
    cache,
    guard,
    contention,
    redis,
    notes: notes(plan, machine.timerFloorNs, peers.filter((p) => !p.available).map((p) => p.name)),
    ok: [...singleThread.rows, ...singleThread.memory, ...rows].every((r) => r.error === undefined) && cacheOk(cache) && guardOk(guard) && contentionOk(contention) && redisOk(redis),
  }
}

export async function runCacheBench(options: RunOptions): Promise<CacheBenchResult> {
  const { section: cache, ...head } = await runAlone(options, (plan) => runCacheSection(plan.cache, options.progress))
  return { tool: 'conmap bench cache', ...head, cache, ok: cacheOk(cache) }
}

export async function runGuardBench(options: RunOptions): Promise<GuardBenchResult> {
  const { section: guard, ...head } = await runAlone(options, (plan) => runGuardSection(plan.guard, options.progress))
  return { tool: 'conmap bench guard', ...head, guard, ok: guardOk(guard) }
}

export async function runRedisBench(options: RunOptions): Promise<RedisBenchResult> {
  const { section: redis, ...head } = await runAlone(options, (plan) => runRedisSection(plan.redis, options.progress))
  return { tool: 'conmap bench redis', ...head, redis, ok: redisOk(redis) }
}

/** One section run alone (`--only`), with what every result records of its run. */
async function runAlone<T>(options: RunOptions, run: (plan: Plan) => Promise<T>) {
  const began = performance.now()
  const startedAt = new Date().toISOString()
  const machine = describeMachine()
  const section = await run(PLANS[options.mode])
  return { version: packageVersion(), command: options.command, mode: options.mode, startedAt, seconds: Math.round((performance.now() - began) / 100) / 10, machine, section }
}

function caseId(workload: Workload, values: ValueKind, keys: number, keyOrder: KeyOrder): string {
  const what = workload.kind === 'mix' ? `${Math.round(workload.readShare * 100)}% get / ${Math.round((1 - workload.readShare) * 100)}% set` : workload.op
  return `${what}, ${shortCount(keys)} keys, ${values} values, ${describeOrder(keyOrder)}`
}

function singleThreadSets(plan: Plan, peers: readonly ContenderId[], objectbuffer: readonly ContenderId[]): SingleThreadSet[] {
  const all: ContenderId[] = ['map', ...STRATEGIES, ...peers]
  const { keys, rounds, largeRounds } = plan.singleThread
  return [
    { keys, values: 'string', contenders: all, rounds },
    { keys, values: 'object', contenders: all, rounds },
    ...(plan.largeKeys > 0 ? [{ keys: plan.largeKeys, values: 'string' as const, contenders: ['map', 'optimistic', 'sharded', ...peers] as ContenderId[], rounds: largeRounds }] : []),
    ...(plan.singleThread.small && objectbuffer.length > 0 ? [{ keys: plan.smallKeys, values: 'string' as const, contenders: ['map', 'optimistic', ...objectbuffer] as ContenderId[], rounds }] : []),
  ]
}

/** Memory of every single-thread contender (the postMessage baseline's is the Map's). */
function memoryJobs(sets: readonly SingleThreadSet[], plan: Plan): MemoryJob[] {
  return sets.filter((set) => plan.memoryValues.includes(set.values)).flatMap((set) => set.contenders.map((contender) => ({ contender, values: set.values, keys: set.keys })))
}

/**
 * The mixes: 90/10 and 50/50 over uniform keys with everyone; 90/10 over Zipf keys
 * (strategies and peers: the postMessage baseline is bound by its messages, not its
 * keys); 90/10 of object values at 2 workers (the targets' figures), and 1M keys.
 */
function throughputCases(plan: Plan, peers: readonly ContenderId[]): Case[] {
  const workers = plan.throughput.workers
  const mix = (readShare: number): Workload => ({ kind: 'mix', readShare })
  const everyone: ContenderId[] = ['map', ...STRATEGIES, 'postmessage', ...peers]
  const locks: ContenderId[] = ['map', 'optimistic', 'sharded', 'rwmutex', ...peers]
  const some: ContenderId[] = ['map', 'optimistic', 'sharded', 'postmessage', ...peers]
  const of = (readShare: number, values: ValueKind, keys: number, keyOrder: KeyOrder, contenders: readonly ContenderId[], counts: readonly number[]): Case => ({
    id: caseId(mix(readShare), values, keys, keyOrder),
    workload: mix(readShare),
    values,
    keys,
    keyOrder,
    contenders,
    workers: counts,
  })
  const cases: Case[] = [of(0.9, 'string', plan.keys, 'uniform', everyone, workers), of(0.9, 'string', plan.keys, 'zipf', locks, workers), of(0.5, 'string', plan.keys, 'uniform', everyone, workers)]
  if (workers.includes(2)) {
    cases.push(of(0.9, 'object', plan.keys, 'uniform', some, [2]), of(0.9, 'object', plan.keys, 'zipf', ['map', 'optimistic', 'sharded'], [2]))
    if (plan.largeKeys > 0) cases.push(of(0.9, 'string', plan.largeKeys, 'uniform', some, [2]))
  }
  return cases
}

function operationCases(plan: Plan): Case[] {
  return OPS.map((op) => {
    const workload: Workload = { kind: 'op', op }
    return { id: caseId(workload, 'string', plan.keys, 'uniform'), workload, values: 'string' as const, keys: plan.keys, keyOrder: 'uniform' as const, contenders: ['map', ...STRATEGIES], workers: plan.operations.workers }
  })
}

function notes(plan: Plan, timerFloorNs: number, missing: readonly string[]): string[] {
  return [
    'Ratios, not absolute numbers, are the result: every contender runs in the same run, alternating within each round, and the figure is the median over rounds.',
    'Thread scaling is bounded by the calibration beside it: pure arithmetic in N workers at once, measured in the same section. On a shared machine it can be far below N.',
    `Latency: one operation in 32 is timed on its own (every one for postMessage); the timer pair itself costs about ${timerFloorNs} ns, included in every p50/p99.`,
    `Keys: precomputed strings, the same string objects on every call (as a Map user's are), visited in a seeded, precomputed order: uniform (every key equally likely) or Zipf(0.99) (the skew of real caches; the hot keys are the same in every worker, scattered over the key space).`,
    "Single-thread reads: 'first get' reads each key once in a shuffled order (the thread's first read of it); 'get' (uniform keys), 'get Zipf' and 'has' (uniform keys) then read keys read before: the steady state of a long-lived reader, where 'optimistic' answers from its per-thread read cache after one Atomics.load. Every get must find its key, every has answer true.",
    'Workers warm up until their rate stops rising (at least the warm-up time, at most a few seconds): a fixed short warm-up measured code V8 had not finished optimising, at 2 workers more than at 1, whose compiler threads get a free core.',
    "'none' runs writing workloads on one worker only: a second writer is detected as 'concurrent map writes' and poisons the map, by design, as Go's runtime does for its built-in map.",
    "The update benchmark uses SharedMap.update (atomic per key); its counters are summed afterwards and must equal the updates applied. The postMessage baseline and peers take part in the get/set mixes only.",
    "'delete' with workers deletes one of the worker's own keys and sets it back at once: both count as operations, only the delete is timed.",
    'Single-thread set starts from an empty structure (no initialCapacity), so it includes growth, as Map.set does; sharedmap is created at its fixed size.',
    `@bnaya/objectbuffer keeps an object's keys in a linked list: it is measured at ${plan.smallKeys} keys only (${plan.singleThread.small ? 'single thread, and ' : ''}across threads with its global lock in the RWMutex-vs-sharded section).`,
    `@bnaya/objectbuffer delete: ${OBJECTBUFFER_DELETE}.`,
    ...(plan.mode === 'full' ? [] : [`${plan.mode} mode: fewer rounds and shorter windows; figures are indicative, use the full run for BENCHMARKS.md.`]),
    ...missing.map((name) => `${name} is not installed: its rows are skipped (npm i -D ${name}).`),
  ]
}

/**
 * runStorm: the parent side of a storm.
 *
 *  1. Create the map and start --workers threads; they attach and wait at a start
 *     line (region.ts), so booting times do not stagger the storm.
 *  2. Open the line with a deadline on the shared clock. A 20 ms tick drains the
 *     recording rings (history-store.ts), keeps the history within --check-limit,
 *     reports progress, and watches every worker for progress: one that does
 *     nothing for --stall-timeout is a deadlock.
 *  3. With --kill, terminate a random running worker at exponentially distributed
 *     intervals (a Poisson process of the given rate), anywhere in its loop. Each
 *     worker is watch()ed right after its creation, so the locks it held become
 *     recoverable when it exits. After the exit the parent reads what its region
 *     holds, including the call it died in (pending), and starts the next
 *     generation of that slot.
 *  4. When every worker has stopped: the verification probe (verify.ts), then the
 *     acknowledged-write analysis and the linearizability check, then the report.
 *     With --ttl or --max-entries the map is a cache map, and both analyses let
 *     entries vanish (never reappear); the report counts reads that saw one vanish
 *     (vanished.ts).
 *
 * The tick also samples the size of the map's buffer, so the report says how often
 * it grew; with --grow the map starts minimal and the values keep growing (growth.ts).
 *
 * Clock: every thread stamps operations with performance.now() shifted by the
 * difference of its performance.timeOrigin from the parent's. Node's performance.now()
 * reads the process-wide monotonic clock and, for the threads of one process, the
 * shift is 0, so times compare across threads at full resolution (adding timeOrigin
 * itself would round them to a quarter of a microsecond).
 */
import type { Worker } from 'node:worker_threads'
import { checkHistory, type HistoryCheckResult } from '../check/index.js'
import { conmapError, ErrorCode } from '../errors/index.js'
import { SharedMap } from '../map/index.js'
import { watch } from '../sync/index.js'
import { findLostWrites, type LostWrite } from './acked-writes.js'
import { GrowthMeter, growthPlan, type GrowthPlan } from './growth.js'
import { finalReads, HistoryStore } from './history-store.js'
import { Random } from './op-stream.js'
import { isCacheStorm, validateStormOptions, type StormInput, type StormOptions } from './options.js'
import { Control, WorkerRegion, WorkerState } from './region.js'
import { buildReport, type StormReport } from './report.js'
import { contentionOf } from './contention.js'
import type { ProbeResult } from './storm-probe.js'
import { Totals } from './totals.js'
import { startThread } from './thread.js'
import { keyName } from './values.js'
import { countVanishedReads } from './vanished.js'
import { runProbe } from './verify.js'
import type { StormWorkerData, StormWorkerMessage } from './worker-loop.js'

export interface StormProgress {
  readonly phase: 'starting' | 'running' | 'verifying' | 'checking'
  /** Seconds since the start line opened. */
  readonly elapsed: number
  readonly ops: number
  readonly opsPerSec: number
  readonly errors: number
  readonly kills: number
}

export interface RunStormHooks {
  /** Called every `progressInterval` ms while running, and at each phase change. */
  readonly onProgress?: (progress: StormProgress) => void
  /** Default 250 ms. */
  readonly progressInterval?: number
  /** Stops the storm early; the report covers what ran and says it was interrupted. */
  readonly signal?: AbortSignal
  /**
   * The module every storm worker runs (default: conmap's own). A custom module calls
   * `runStormWorker(wrap)` to storm a wrapper of SharedMap instead of the map itself.
   */
  readonly worker?: URL | string
}

const defaultWorker = new URL('./storm-worker.js', import.meta.url)

const TICK_MS = 20
const MAX_MAP_BYTES = 2 ** 32 - 2 ** 16

interface Incarnation {
  readonly slot: number
  readonly generation: number
  readonly writer: number
  readonly region: WorkerRegion
  readonly worker: Worker
  ready: boolean
  killed: boolean
  /** Set when a stalled worker is terminated: not a kill, and not respawned. */
  abandoned: boolean
  crash: string | undefined
  exited: boolean
  progress: number
  progressAt: number
}

/** Runs a storm and reports it. Rejects only when the storm cannot run at all (bad options, workers that fail to start). */
export async function runStorm(input: StormInput | StormOptions = {}, hooks: RunStormHooks = {}): Promise<StormReport> {
  const options = validateStormOptions(input as StormInput)
  validateHooks(hooks)
  return new Storm(options, hooks).run()
}

function validateHooks(hooks: RunStormHooks): void {
  const invalid = (message: string) => conmapError(ErrorCode.INVALID_ARGUMENT, message)
  if (typeof hooks !== 'object' || hooks === null) throw invalid('storm hooks must be an object')
  const { onProgress, progressInterval, signal, worker } = hooks
  if (onProgress !== undefined && typeof onProgress !== 'function') throw invalid('onProgress must be a function')
  if (progressInterval !== undefined && !(typeof progressInterval === 'number' && progressInterval > 0 && Number.isFinite(progressInterval))) {
    throw invalid(`progressInterval must be a positive number of milliseconds, got ${String(progressInterval)}`)
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw invalid('signal must be an AbortSignal')
  if (worker !== undefined && typeof worker !== 'string' && !(worker instanceof URL)) throw invalid('worker must be a URL or a path')
}

class Storm {
  readonly #options: StormOptions
  readonly #hooks: RunStormHooks
  readonly #map: SharedMap<string, unknown>
  /** Read at creation: a map poisoned under 'none' refuses stats() afterwards. */
  readonly #shards: number
  readonly #control = new Control()
  readonly #store: HistoryStore | undefined
  readonly #totals = new Totals()
  readonly #live = new Set<Incarnation>()
  readonly #errorSamples = new Map<string, string>()
  readonly #crashes: string[] = []
  readonly #deadlocks: string[] = []
  readonly #killRandom: Random
  readonly #growth: GrowthMeter
  readonly #plan: GrowthPlan | undefined
  #kills = 0
  #start = 0
  #deadline = Infinity
  #ending = false
  #onIdle: (() => void) | undefined

  constructor(options: StormOptions, hooks: RunStormHooks) {
    this.#options = options
    this.#hooks = hooks
    this.#map = new SharedMap<string, unknown>({
      concurrency: options.concurrency,
      maxBytes: options.maxBytes ?? MAX_MAP_BYTES,
      ...(options.grow ? { initialCapacity: 0 } : {}),
      ...(options.shards === undefined ? {} : { shards: options.shards }),
      ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
      ...(options.metrics ? { metrics: true } : {}),
      // The parent must never block: its event loop marks killed workers dead (watch)
      // and detects deadlocks. A sweeper tick waits for shard locks, and one held by a
      // killed worker is released only once the parent has seen it exit. Under 'none'
      // the sweeper would also be a second writer, a misuse the storm did not ask for.
      sweeper: false,
    })
    this.#shards = this.#map.stats().shards
    this.#growth = new GrowthMeter(this.#map.handle.buffer)
    this.#plan = options.grow ? growthPlan(this.#growth.initialBytes, options.keys, options.duration) : undefined
    const recording = options.check || options.kill > 0
    this.#store = recording ? new HistoryStore(this.#control, options.keys, options.checkLimit) : undefined
    this.#killRandom = new Random(options.seed, 0x6b696c6c)
  }

  async run(): Promise<StormReport> {
    const options = this.#options
    const hooks = this.#hooks
    this.#progress('starting')
    await this.#startWorkers()
    this.#start = now()
    this.#deadline = this.#start + options.duration * 1000
    this.#control.start(this.#deadline)
    const onAbort = () => this.#control.stop()
    hooks.signal?.addEventListener('abort', onAbort, { once: true })
    if (hooks.signal?.aborted === true) onAbort()
    const tick = setInterval(() => this.#tick(), TICK_MS)
    const progressTick = setInterval(() => this.#progress('running'), Math.max(TICK_MS, hooks.progressInterval ?? 250))
    const killer = options.kill > 0 ? this.#scheduleKills() : undefined
    await this.#idle()
    const elapsed = Math.min(now(), this.#deadline) - this.#start
    this.#growth.sample(elapsed / 1000)
    clearInterval(tick)
    clearInterval(progressTick)
    clearTimeout(killer?.timer)
    hooks.signal?.removeEventListener('abort', onAbort)
    const interrupted = hooks.signal?.aborted === true && now() < this.#deadline
    return this.#verify(elapsed / 1000, interrupted)
  }

  // ---- workers ----

  async #startWorkers(): Promise<void> {
    const first = Array.from({ length: this.#options.workers }, (_, slot) => this.#spawn(slot, 0))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(`they did not start within ${this.#options.stallTimeout} s`), this.#options.stallTimeout * 1000)
      const settle = () => {
        clearTimeout(timer)
        for (const inc of first) {
          inc.worker.off('message', check)
          inc.worker.off('exit', check)
          inc.worker.off('error', checkSoon)
        }
      }
      const fail = (why: string) => {
        settle()
        this.#control.stop()
        for (const inc of first) void inc.worker.terminate()
        reject(new Error(`storm workers failed to start: ${why}`))
      }
      function check() {
        const broken = first.find((inc) => inc.crash !== undefined || inc.exited)
        if (broken !== undefined) fail(broken.crash ?? 'a worker exited')
        else if (first.every((inc) => inc.ready)) {
          settle()
          resolve()
        }
      }
      // The worker's own 'error' listener records the crash first; look after it.
      const checkSoon = () => setImmediate(check)
      for (const inc of first) {
        inc.worker.on('message', check)
        inc.worker.on('exit', check)
        inc.worker.on('error', checkSoon)
      }
    })
  }

  #spawn(slot: number, generation: number): Incarnation {
    const o = this.#options
    const recording = this.#store !== undefined
    const region = WorkerRegion.create(recording)
    const writer = generation * o.workers + slot
    const data: StormWorkerData = {
      handle: this.#map.handle,
      control: this.#control.buffer,
      region: region.buffer,
      origin: performance.timeOrigin,
      slot,
      generation,
      writer,
      seed: o.seed,
      mix: o.mix,
      keys: o.keys,
      valueSize: o.valueSize,
      growth: this.#plan,
      recording,
      stallReads: o.stallReads,
    }
    const worker = startThread(this.#hooks.worker ?? defaultWorker, data)
    watch(worker)
    const inc: Incarnation = { slot, generation, writer, region, worker, ready: false, killed: false, abandoned: false, crash: undefined, exited: false, progress: 0, progressAt: now() }
    this.#live.add(inc)
    worker.on('message', (message: StormWorkerMessage) => this.#onMessage(inc, message))
    worker.once('error', (err) => {
      inc.crash = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    })
    worker.once('exit', () => this.#onExit(inc))
    return inc
  }

  #onMessage(inc: Incarnation, message: StormWorkerMessage): void {
    switch (message.type) {
      case 'ready':
        inc.ready = true
        inc.progressAt = now()
        return
      case 'foreign':
        this.#store?.addForeign(inc.writer, message.index, message.value)
        return
      case 'error':
        if (!this.#errorSamples.has(message.code)) this.#errorSamples.set(message.code, message.message)
    }
  }

  #onExit(inc: Incarnation): void {
    inc.exited = true
    this.#live.delete(inc)
    this.#store?.drainExited(inc.region, inc.writer)
    this.#totals.add(inc.region)
    if (inc.crash !== undefined && !inc.killed) this.#crashes.push(`worker ${inc.slot} (thread t${inc.writer}) crashed: ${inc.crash}`)
    const respawn = inc.killed && !this.#ending && !this.#control.stopped && now() < this.#deadline
    if (respawn) this.#spawn(inc.slot, inc.generation + 1)
    if (this.#live.size === 0) this.#onIdle?.()
  }

  /** Resolves when every worker has stopped for good. */
  #idle(): Promise<void> {
    return new Promise((resolve) => {
      this.#onIdle = () => {
        this.#ending = true
        resolve()
      }
      if (this.#live.size === 0) this.#onIdle()
    })
  }

  #scheduleKills(): { timer: NodeJS.Timeout | undefined } {
    const handle: { timer: NodeJS.Timeout | undefined } = { timer: undefined }
    const next = () => {
      // Exponential gaps: kills at a steady rate but at unpredictable moments.
      const gap = (-Math.log(1 - this.#killRandom.next()) / this.#options.kill) * 1000
      handle.timer = setTimeout(() => {
        if (this.#ending || now() >= this.#deadline) return
        const running = [...this.#live].filter((inc) => inc.ready && !inc.killed && inc.region.state === WorkerState.running)
        const victim = running[this.#killRandom.below(running.length)]
        if (victim !== undefined) {
          victim.killed = true
          this.#kills++
          void victim.worker.terminate()
        }
        next()
      }, gap)
    }
    next()
    return handle
  }

  #tick(): void {
    const t = now()
    this.#growth.sample((t - this.#start) / 1000)
    if (this.#store !== undefined) {
      for (const inc of this.#live) this.#store.drain(inc.region, inc.writer)
      this.#store.enforceLimit(t)
    }
    const stallMs = this.#options.stallTimeout * 1000
    for (const inc of this.#live) {
      // Finished workers are on their way out; killed ones are being terminated.
      if (inc.killed || inc.abandoned || inc.region.state > WorkerState.running) continue
      const progress = inc.region.totalOps() + inc.region.totalErrors()
      if (progress !== inc.progress) {
        inc.progress = progress
        inc.progressAt = t
      } else if (t - inc.progressAt > stallMs) {
        const what = inc.ready ? 'made no progress' : 'did not start'
        this.#deadlocks.push(`worker ${inc.slot} (thread t${inc.writer}) ${what} for ${this.#options.stallTimeout} s`)
        this.#abandon()
        return
      }
    }
  }

  /** A worker is stuck: stop the storm and terminate whoever does not stop by itself. */
  #abandon(): void {
    this.#control.stop()
    this.#ending = true
    for (const inc of this.#live) {
      inc.abandoned = true
      void inc.worker.terminate()
    }
  }

  #progress(phase: StormProgress['phase']): void {
    const onProgress = this.#hooks.onProgress
    if (onProgress === undefined) return
    const elapsed = this.#start === 0 ? 0 : (Math.min(now(), this.#deadline) - this.#start) / 1000
    const { ops, errors } = this.#totals.progress([...this.#live].map((inc) => inc.region))
    onProgress({ phase, elapsed, ops, opsPerSec: elapsed > 0 ? Math.round(ops / elapsed) : 0, errors, kills: this.#kills })
  }

  // ---- after the storm ----

  async #verify(elapsed: number, interrupted: boolean): Promise<StormReport> {
    const o = this.#options
    const store = this.#store
    this.#progress('verifying')
    // Read before the probe, whose own reads are no part of the storm.
    const contention = o.metrics ? contentionOf(this.#map) : undefined
    const kept = store?.keptKeys(o.keys) ?? []
    const cache = isCacheStorm(o)
    const outcome = await runProbe(this.#map.handle, { keys: kept, cache, maxEntries: o.maxEntries }, o.stallTimeout * 1000)
    let probe: ProbeResult | undefined
    if (outcome.kind === 'result') probe = outcome.result
    else if (outcome.kind === 'stuck') this.#deadlocks.push(`the verification probe made no progress for ${o.stallTimeout} s while ${outcome.step}`)
    else this.#crashes.push(`the verification probe failed: ${outcome.message}`)
    let check: HistoryCheckResult | undefined
    let lost: LostWrite[] | null = null
    let pending = 0
    let vanishedReads: number | null = null
    if (store !== undefined) {
      const ops = store.operations()
      pending = ops.filter((op) => op.ret === undefined).length
      if (cache) vanishedReads = countVanishedReads(ops, store.cutoff)
      // Final states are comparable with complete histories only (history-store.ts).
      if (store.cutoff === Infinity && probe?.finals !== undefined) {
        const finals = new Map(probe.finals.map(([index, value]) => [keyName(index), value] as const))
        lost = findLostWrites(ops, kept.map(keyName), finals, cache)
        if (o.check) for (const read of finalReads(kept, probe.finals, probe.call, probe.ret)) ops.push(read)
      }
      if (o.check) {
        this.#progress('checking')
        check = checkHistory(ops, { timeoutMs: o.checkTimeout * 1000, cache })
      }
    }
    return buildReport({
      options: o,
      shards: this.#shards,
      elapsed,
      totals: this.#totals,
      errorSamples: this.#errorSamples,
      kills: this.#kills,
      buffer: this.#growth.result(),
      interrupted,
      crashes: this.#crashes,
      deadlocks: this.#deadlocks,
      probe,
      check,
      recorded:
        store === undefined
          ? undefined
          : { operations: store.count, pending, cutAt: store.cutoff === Infinity ? null : (store.cutoff - this.#start) / 1000 },
      lost,
      vanishedReads,
      contention,
    })
  }
}

function now(): number {
  return performance.now()
}

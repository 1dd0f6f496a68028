/**
 * A worker that guards the map it is given and runs the commands the test sends:
 * workerData.conmap is a share({ map, breaker, log }) record, attached here with
 * attachShared. Each message { id, cmd, ... } gets { id, value } or { id, error }.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads'
import { keyOf, opOf } from './entries.js'
import { attachShared, guard, isConmapError, type AuditLog, type CircuitBreaker, type SharedMap, type Shared } from '../../src/index.js'

type Objects = { map: SharedMap<string, number>; breaker: CircuitBreaker; log: AuditLog }
interface Data {
  readonly conmap: Shared<Objects>
  readonly timeout?: number
  readonly keys?: 'plain'
  /** The message of the errors the guard's isFailure counts. */
  readonly failOn?: string
}
interface Command {
  readonly id: number
  readonly cmd: string
  readonly method?: string
  readonly args?: unknown[]
  readonly key?: string
  readonly gate?: SharedArrayBuffer
  readonly outcome?: 'success' | 'failure' | 'ignored'
  readonly count?: number
  readonly startLine?: SharedArrayBuffer
  readonly workers?: number
}

const port = parentPort
if (port === null) throw new Error('guard-worker must run in a worker thread')
const data = workerData as Data
const { map, breaker, log } = attachShared(data.conmap)
const failOn = data.failOn
const isFailure = failOn === undefined ? undefined : (err: unknown) => err instanceof Error && err.message === failOn
const guarded = guard(map, { name: `worker${threadId}`, timeout: data.timeout, breaker, audit: { log, keys: data.keys }, isFailure })
const permits: number[] = []

function post(message: unknown): void {
  port?.postMessage(message)
}

/** Blocks until the gate's word is non-zero. */
function waitGate(gate: SharedArrayBuffer): void {
  const word = new Int32Array(gate)
  while (Atomics.load(word, 0) === 0) Atomics.wait(word, 0, 0)
}

async function gateOpened(gate: SharedArrayBuffer): Promise<void> {
  const word = new Int32Array(gate)
  while (Atomics.load(word, 0) === 0) {
    const waiting = Atomics.waitAsync(word, 0, 0, 50)
    if (waiting.async) await waiting.value
  }
}

/** Every worker of the batch arrives, then all go at once. */
function startTogether(line: SharedArrayBuffer, workers: number): void {
  const word = new Int32Array(line)
  if (Atomics.add(word, 0, 1) + 1 === workers) Atomics.notify(word, 0)
  for (let seen = Atomics.load(word, 0); seen < workers; seen = Atomics.load(word, 0)) Atomics.wait(word, 0, seen)
}

const commands: Record<string, (command: Command) => unknown> = {
  call: ({ method, args }) => (guarded as unknown as Record<string, (...a: unknown[]) => unknown>)[method as string]?.(...(args ?? [])),
  state: () => breaker.state,
  stats: () => breaker.stats(),
  /** Holds the key's shard (an update callback waiting on the gate), posting 'holding' once it does. */
  hold: ({ id, key, gate }) => {
    map.update(key as string, (value) => {
      post({ id, event: 'holding' })
      waitGate(gate as SharedArrayBuffer)
      return (value ?? 0) + 100
    })
    return 'released'
  },
  /** A guarded set posting 'calling' right before it starts. */
  slowSet: ({ id, key }) => {
    post({ id, event: 'calling' })
    guarded.set(key as string, 7)
    return guarded.audit().at(-1)
  },
  /** A half-open probe that stays in flight: getOrComputeAsync whose factory waits for the gate, then rejects if the command said failure. */
  probe: ({ id, key, gate, outcome }) => {
    const pending = guarded.getOrComputeAsync(key as string, async () => {
      post({ id, event: 'computing' })
      await gateOpened(gate as SharedArrayBuffer)
      if (outcome === 'failure') throw new Error('probe failed')
      return 1
    })
    return pending.then(
      () => 'admitted:ok',
      (err: unknown) => (isConmapError(err) ? err.code : `admitted:${(err as Error).message}`),
    )
  },
  /** Admits count permits at once with the other workers of the batch; returns how many were let through. */
  admitMany: ({ count, startLine, workers }) => {
    startTogether(startLine as SharedArrayBuffer, workers as number)
    let admitted = 0
    for (let i = 0; i < (count as number); i++) {
      try {
        permits.push(breaker.admit())
        admitted++
      } catch (err) {
        if (!isConmapError(err, 'ERR_BREAKER_OPEN')) throw err
      }
    }
    return admitted
  },
  /** Admits one permit and keeps it for settleKept. */
  admitOne: () => {
    permits.push(breaker.admit())
    return permits.at(-1)
  },
  /** Settles every kept permit with outcome, all workers of the batch at once. */
  settleKept: ({ outcome, startLine, workers }) => {
    startTogether(startLine as SharedArrayBuffer, workers as number)
    for (const permit of permits.splice(0)) breaker.settle(permit, outcome as 'success' | 'failure')
    return breaker.stats().generation
  },
  /** count guarded increments of one key with the other workers of the batch, while the test opens and closes the breaker. */
  increments: ({ key, count, startLine, workers }) => {
    startTogether(startLine as SharedArrayBuffer, workers as number)
    let applied = 0
    let refused = 0
    for (let i = 0; i < (count as number); i++) {
      try {
        guarded.update(key as string, (n) => (n ?? 0) + 1)
        applied++
      } catch (err) {
        if (!isConmapError(err, 'ERR_BREAKER_OPEN')) throw err
        refused++
      }
    }
    return { applied, refused }
  },
  /** count audit entries written straight into the log, every field derived from (thread, i) so that a torn one shows. */
  record: ({ count, startLine, workers }) => {
    startTogether(startLine as SharedArrayBuffer, workers as number)
    for (let i = 0; i < (count as number); i++) log.record(opOf(i), keyOf(threadId, i), i % 3 === 0 ? 'ERR_LOCK_TIMEOUT' : 'ok', i / 1000)
    return log.dropped
  },
}

port.on('message', (command: Command) => {
  const reply = (value: unknown) => post({ id: command.id, value })
  const fail = (err: unknown) => post({ id: command.id, error: { code: (err as { code?: unknown }).code, message: (err as Error).message } })
  try {
    const handler = commands[command.cmd]
    if (handler === undefined) throw new Error(`unknown command ${command.cmd}`)
    const result = handler(command)
    if (result instanceof Promise) result.then(reply, fail)
    else reply(result)
  } catch (err) {
    fail(err)
  }
})
post({ ready: threadId })

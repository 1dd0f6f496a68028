/** A guard-worker (guard-worker.ts) driven by commands from the test, and its replies. */
import { after } from 'node:test'
import { Worker } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { share, type AuditLog, type CircuitBreaker, type SharedMap } from '../../src/index.js'

const file = fileURLToPath(new URL('./guard-worker.js', import.meta.url))
const running = new Set<Worker>()
after(async () => {
  await Promise.all([...running].map((worker) => worker.terminate()))
})

export interface Reply {
  readonly value?: unknown
  readonly error?: { readonly code?: string; readonly message: string }
}

export interface GuardWorker {
  readonly worker: Worker
  readonly threadId: number
  /** Sends a command; resolves with the reply (an error comes as `error`, not as a rejection). */
  ask(cmd: string, fields?: Record<string, unknown>): Promise<Reply>
  /** Sends a command; resolves when it posts `event` (the reply comes later through `reply`). */
  start(cmd: string, event: string, fields?: Record<string, unknown>): { event: Promise<void>; reply: Promise<Reply> }
  /** A guarded call of method in the worker. */
  call(method: string, ...args: unknown[]): Promise<Reply>
}

let nextId = 1

export async function startGuardWorker(objects: { map: SharedMap<string, number>; breaker: CircuitBreaker; log: AuditLog }, options: { timeout?: number; keys?: 'plain'; failOn?: string } = {}): Promise<GuardWorker> {
  const worker = new Worker(file, { workerData: { conmap: share(objects), ...options } })
  running.add(worker)
  worker.once('exit', () => running.delete(worker))
  const replies = new Map<number, (reply: Reply) => void>()
  const events = new Map<string, () => void>()
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('error', reject)
    worker.on('message', (message: { ready?: number; id?: number; event?: string } & Reply) => {
      if (message.ready !== undefined) resolve()
      else if (message.event !== undefined) events.get(`${message.id}:${message.event}`)?.()
      else if (message.id !== undefined) {
        const { id, ...reply } = message
        replies.get(id)?.(reply)
      }
    })
  })
  await ready
  const send = (cmd: string, fields: Record<string, unknown>, id = nextId++) =>
    new Promise<Reply>((resolve) => {
      replies.set(id, resolve)
      worker.postMessage({ id, cmd, ...fields })
    })
  return {
    worker,
    threadId: worker.threadId,
    ask: (cmd, fields = {}) => send(cmd, fields),
    start(cmd, event, fields = {}) {
      const id = nextId++
      const seen = new Promise<void>((resolve) => events.set(`${id}:${event}`, resolve))
      return { event: seen, reply: send(cmd, fields, id) }
    },
    call: (method, ...args) => send('call', { method, args }),
  }
}

/** A word workers wait on until open(). */
export function gate(): { buffer: SharedArrayBuffer; open(): void } {
  const buffer = new SharedArrayBuffer(4)
  return {
    buffer,
    open() {
      const word = new Int32Array(buffer)
      Atomics.store(word, 0, 1)
      Atomics.notify(word, 0)
    },
  }
}

/** A start line for `workers` workers (guard-worker's startTogether). */
export function startLine(): SharedArrayBuffer {
  return new SharedArrayBuffer(4)
}

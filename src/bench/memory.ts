/**
 * Memory section: one fresh process per contender, key count and value kind
 * (memory-child.ts). Memory is not noisy the way time is, so one run each.
 */
import { fork } from 'node:child_process'
import { labelOf } from './contenders.js'
import type { MemoryJob, MemoryReply } from './memory-child.js'
import type { MemoryRow } from './result.js'
import type { Progress } from './section.js'

const CHILD = new URL('./memory-child.js', import.meta.url)

export async function runMemory(jobs: readonly MemoryJob[], progress: Progress): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = []
  for (const job of jobs) {
    progress(`memory: ${labelOf(job.contender)}, ${job.keys} keys, ${job.values} values`)
    const reply = await inChild(job)
    rows.push({
      contender: job.contender,
      label: labelOf(job.contender),
      values: job.values,
      keys: job.keys,
      sharedBytesPerEntry: reply.error === undefined ? reply.shared : null,
      heapBytesPerEntry: reply.error === undefined ? reply.heap : null,
      rssBytesPerEntry: reply.error === undefined ? reply.rss : null,
      ...(reply.error === undefined ? {} : { error: reply.error }),
    })
  }
  return rows
}

function inChild(job: MemoryJob): Promise<MemoryReply> {
  return new Promise((resolve) => {
    const child = fork(CHILD, [], { execArgv: ['--expose-gc', '--no-flush-bytecode'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('message', (reply: MemoryReply) => resolve(reply))
    child.once('error', (err) => resolve({ shared: null, heap: 0, rss: 0, error: err.message }))
    child.once('exit', (code) => resolve({ shared: null, heap: 0, rss: 0, error: `memory process exited with code ${code}: ${stderr.trim().slice(0, 300)}` }))
    child.send(job)
  })
}

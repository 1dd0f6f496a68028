/**
 * Memory per entry, measured in a fresh Node process (started with --expose-gc) so
 * that no earlier allocation, freed but kept by the allocator, hides the growth:
 * RSS and JS heap after a full GC, before and after setting N entries into a new
 * structure, plus the shared or mapped bytes the structure itself reports. A small
 * throwaway structure is built first, so module loading and compiled code are not
 * counted as entries.
 */
import { freshTarget, openAdapter } from './adapters.js'
import { entryValue } from './contenders.js'
import type { ContenderId, ValueKind } from './result.js'

export interface MemoryJob {
  readonly contender: ContenderId
  readonly values: ValueKind
  readonly keys: number
}

export interface MemoryReply {
  readonly shared: number | null
  readonly heap: number
  readonly rss: number
  readonly error?: string
}

const WARM_KEYS = 1000
const collect = (globalThis as { gc?: () => void }).gc

process.once('message', (job: MemoryJob) => {
  measure(job).then(
    (reply) => process.send?.(reply, () => process.exit(0)),
    (err: unknown) => process.send?.({ shared: null, heap: 0, rss: 0, error: err instanceof Error ? err.message : String(err) }, () => process.exit(0)),
  )
})

/** Full collections until the heap stops shrinking: one pass can leave garbage behind. */
function settle(): void {
  let last = Infinity
  for (let i = 0; i < 5; i++) {
    collect?.()
    const used = process.memoryUsage().heapUsed
    if (used >= last) return
    last = used
  }
}

async function measure(job: MemoryJob): Promise<MemoryReply> {
  if (collect === undefined) throw new Error('memory-child needs --expose-gc')
  // Keys are made in the loop, as values are: a Map keeps its key strings, SharedMap copies them.
  const make = entryValue(job.values)
  // Load the contender's modules and compile its code first: fixed costs, not per entry.
  const warm = await openAdapter(freshTarget(job.contender, WARM_KEYS), job.values)
  for (let i = 0; i < Math.min(WARM_KEYS, job.keys); i++) warm.set(`user:${i}`, make(i))
  await warm.close()
  settle()
  const before = process.memoryUsage()
  const adapter = await openAdapter(freshTarget(job.contender, job.keys), job.values)
  for (let i = 0; i < job.keys; i++) adapter.set(`user:${i}`, make(i))
  settle()
  const after = process.memoryUsage()
  if (adapter.size() !== job.keys) throw new Error(`holds ${adapter.size()} entries after setting ${job.keys}`)
  const shared = adapter.sharedBytes()
  await adapter.close()
  return { shared: shared === null ? null : shared / job.keys, heap: (after.heapUsed - before.heapUsed) / job.keys, rss: (after.rss - before.rss) / job.keys }
}

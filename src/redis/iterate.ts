/**
 * Iteration of a RedisMap: bucket after bucket, each walked with HSCAN pages (the SCAN
 * script, which leaves expired entries out).
 *
 * A full HSCAN returns every field present from its start to its end, and may return one
 * more than once (valkey-doc commands/scan.md). So each bucket's fields are remembered
 * while it is walked and a repeat is skipped: no key is yielded twice (a key lives in one
 * bucket only), every key present for the whole iteration is yielded, and a key changed
 * meanwhile shows one of its values. A bucket is read page by page, not frozen; snapshot()
 * reads each bucket at one instant (HGETALL).
 */
import type { Key } from '../codec/index.js'
import type { RedisContext } from './context.js'
import { decodeField } from './layout.js'
import { ENTRIES, SCAN, type MapScript } from './scripts.js'

/** Fields HSCAN is asked for per page. */
const PAGE = 256

export async function* scanEntries(ctx: RedisContext, values: boolean): AsyncGenerator<[Key, unknown]> {
  await ctx.ready()
  for (const bucket of ctx.buckets) {
    const seen = new Set<string>()
    let cursor = '0'
    do {
      const [next, flat] = (await ctx.run(SCAN, bucket, [cursor, String(PAGE)])) as [Buffer, Buffer[]]
      cursor = next.toString()
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const field = flat[i] as Buffer
        const id = field.toString('latin1')
        if (seen.has(id)) continue
        seen.add(id)
        yield [decodeField(field), values ? ctx.decode(flat[i + 1] as Buffer) : undefined]
      }
    } while (cursor !== '0')
  }
}

/** Every bucket's entries, each bucket read atomically (by entries, ENTRIES or its read-only twin); the requests go out together. */
export async function snapshotEntries(ctx: RedisContext, entries: MapScript = ENTRIES): Promise<Map<Key, unknown>> {
  await ctx.ready()
  const pages = (await Promise.all(ctx.buckets.map((bucket) => ctx.run(entries, bucket, [])))) as Buffer[][]
  const map = new Map<Key, unknown>()
  for (const flat of pages) {
    for (let i = 0; i + 1 < flat.length; i += 2) map.set(decodeField(flat[i] as Buffer), ctx.decode(flat[i + 1] as Buffer))
  }
  return map
}

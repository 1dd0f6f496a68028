/**
 * What is left of the storm's map after clear(): its metadata key and each bucket's
 * write counter (clear() keeps the counter so that no version comes back, layout.ts).
 * A storm's map is never opened again, so those go too and a storm leaves nothing on
 * the server.
 */
import { driverFor } from '../../redis/driver.js'
import { bucketKeys, escapeName, metaKey } from '../../redis/layout.js'

/** Buckets of the storm's map: one on a single server; on a cluster enough to reach every primary of a usual one. */
export function stormBuckets(cluster: boolean): number {
  return cluster ? 64 : 1
}

export async function dropClearedMap(client: unknown, name: string, buckets: number): Promise<void> {
  const driver = driverFor(client)
  const esc = escapeName(name)
  const keys = [metaKey(esc), ...Array.from({ length: buckets }, (_, bucket) => bucketKeys(esc, bucket).versions)]
  // One DEL per key: on a cluster the keys live in different slots.
  await Promise.all(keys.map((key) => driver.send(key, ['DEL', key])))
}

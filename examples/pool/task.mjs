import { setTimeout as sleep } from 'node:timers/promises'
import { workerData } from 'piscina'
import { attachShared } from 'conmap'

const { users } = attachShared(workerData.conmap)

// Stands for a fetch() or a database query.
async function fetchUser(id, signal) {
  await sleep(100, undefined, { signal })
  return { id, name: id.toUpperCase() }
}

export default function lookup(id) {
  return users.getOrComputeAsync(id, (key, { signal }) => fetchUser(key, signal), { timeout: 5_000 })
}

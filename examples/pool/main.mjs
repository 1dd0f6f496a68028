import { Piscina } from 'piscina'
import { SharedMap, share } from 'conmap'

const users = new SharedMap({ maxEntries: 100_000, ttl: 60_000 })
const pool = new Piscina({
  filename: new URL('./task.mjs', import.meta.url).href,
  workerData: { conmap: share({ users }) }, // handles: plain, structured-cloneable data
})
const ids = ['u1', 'u2', 'u1', 'u3', 'u2', 'u1']
const found = await Promise.all(ids.map((id) => pool.run(id)))
console.log(found.map((user) => user.name).join(' '))
console.log(`${ids.length} lookups, ${users.stats().computations} fetches`)
await pool.destroy()

import { KeyedMutex, Singleflight } from 'conmap'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const balances = new Map([['ann', 100], ['bob', 100]])
const locks = new KeyedMutex()

async function transfer(from, to, amount) {
  // Both keys held across the await; opposite transfers take them in one order: no deadlock.
  await locks.runExclusive([from, to], async () => {
    const a = balances.get(from)
    const b = balances.get(to)
    await sleep(1) // a round trip to the ledger
    balances.set(from, a - amount)
    balances.set(to, b + amount)
  }, { timeout: 1_000 })
}
await Promise.all([transfer('ann', 'bob', 10), transfer('bob', 'ann', 5), transfer('ann', 'bob', 1)])
console.log(balances)

const flights = new Singleflight()
let fetches = 0
async function fetchUser(id, signal) {
  fetches++
  await sleep(5) // fetch(`/users/${id}`, { signal })
  return { id, name: id.toUpperCase() }
}
const ids = ['u1', 'u1', 'u2', 'u1']
const users = await Promise.all(ids.map((id) => flights.do(id, (signal) => fetchUser(id, signal))))
console.log(users.map(({ value, shared }) => `${value.name}${shared ? '*' : ''}`).join(' '), `(${fetches} fetches)`)

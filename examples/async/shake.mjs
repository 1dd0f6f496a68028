import assert from 'node:assert/strict'
import { setImmediate as turn } from 'node:timers/promises'
import { KeyedMutex } from 'conmap'
import { shakeRuns } from 'conmap/test'

async function bookings() {
  const seats = new Map()
  const locks = new KeyedMutex()
  async function book(seat, user) {
    if (seats.has(seat)) return false // checked outside the lock: the bug
    await locks.runExclusive(seat, () => seats.set(seat, user))
    return true
  }
  const ann = book('12A', 'ann')
  await turn() // bob comes a moment later
  const bob = book('12A', 'bob')
  const booked = (await Promise.all([ann, bob])).filter(Boolean).length
  assert.equal(booked, 1, `seat 12A booked ${booked} times`)
}

await bookings()
console.log('a quiet run passes')
try {
  await shakeRuns(bookings, { seed: 1, runs: 50 })
} catch (failure) {
  console.log(failure.message.split('\n')[0])
  await shakeRuns(bookings, { seed: failure.seed, runs: 1 }).catch(() => console.log(`seed ${failure.seed} fails again`))
}

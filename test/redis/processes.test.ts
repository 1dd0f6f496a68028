// Several Node processes, half on node-redis and half on ioredis, race on one RedisMap of a
// real server: increments with update(), compareAndSwap loops and getVersioned /
// setIfVersion loops end at the exact total, and of simultaneous compareAndSwap(race, 0, pid) calls exactly one wins.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { RedisMap } from '../../src/redis/index.js'
import { startRedis } from '../helpers/redis-servers.js'
import { connect } from './clients.js'

const CHILD = fileURLToPath(new URL('./fixtures/incrementer.js', import.meta.url))
const PROCESSES = 4
const ROUNDS = 150

function next(child: ChildProcess): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as Record<string, unknown>))
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)))
  })
}

test(`${PROCESSES} processes increment one RedisMap: exact totals, one CAS winner`, { timeout: 60_000 }, async () => {
  const server = await startRedis()
  const children: ChildProcess[] = []
  try {
    const conn = await connect('node-redis', server)
    const map = new RedisMap<string, number>({ client: conn.client, name: 'processes' })
    await map.setMany([['race', 0], ['c', 0]])
    for (let i = 0; i < PROCESSES; i++) {
      children.push(fork(CHILD, [i % 2 === 0 ? 'node-redis' : 'ioredis', String(server.port), 'processes', String(ROUNDS)], { stdio: 'inherit' }))
    }
    const done = await Promise.all(children.map(next))
    assert.ok(done.every((m) => m['done'] === true))
    assert.equal(await map.get('u'), PROCESSES * ROUNDS)
    assert.equal(await map.get('c'), PROCESSES * ROUNDS)
    assert.equal(await map.get('v'), PROCESSES * ROUNDS)
    const raced = Promise.all(children.map(next))
    for (const child of children) child.send('race')
    const wins = (await raced).filter((m) => m['won'] === true)
    assert.equal(wins.length, 1)
    const winner = await map.get('race')
    assert.ok(children.some((c) => c.pid === winner), `race holds ${winner}, a child's pid`)
    await conn.close()
  } finally {
    for (const child of children) child.kill('SIGKILL')
    await server.stop()
  }
})

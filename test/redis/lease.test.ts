// A client stopped (SIGSTOP) while it holds a getOrComputeAsync lease, past the lease:
// another client takes over and stores its value; the stopped one, resumed, finds it and
// returns it. Exactly one value is ever stored, and every caller gets it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { RedisMap } from '../../src/redis/index.js'
import { startRedis } from '../helpers/redis-servers.js'
import { connect } from './clients.js'

const CHILD = fileURLToPath(new URL('./fixtures/lease-holder.js', import.meta.url))
const LEASE_MS = 300

function message(child: ReturnType<typeof fork>, key: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const on = (m: unknown) => {
      if (typeof m === 'object' && m !== null && key in m) {
        child.off('message', on)
        resolve((m as Record<string, unknown>)[key])
      }
    }
    child.on('message', on)
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)))
  })
}

test('SIGSTOP of a client holding a getOrCompute lease past the lease: exactly one value stored', { timeout: 30_000 }, async () => {
  const server = await startRedis()
  const child = fork(CHILD, [String(server.port), 'lease', String(LEASE_MS), String(LEASE_MS * 3)], { stdio: 'inherit' })
  const conn = await connect('node-redis', server)
  try {
    const map = new RedisMap<string, string>({ client: conn.client, name: 'lease', lease: LEASE_MS })
    const childValue = message(child, 'value')
    await message(child, 'computing')
    child.kill('SIGSTOP')
    let runs = 0
    const mine = await map.getOrComputeAsync('k', async () => {
      runs++
      return 'from-parent'
    })
    assert.equal(runs, 1, 'the lease lapsed while its holder was stopped, and this client computed')
    assert.equal(mine, 'from-parent')
    child.kill('SIGCONT')
    assert.equal(await childValue, 'from-parent', 'the resumed holder found the stored value and returned it')
    assert.equal(await map.get('k'), 'from-parent')
    assert.equal(await map.size(), 1)
  } finally {
    child.kill('SIGKILL')
    await conn.close()
    await server.stop()
  }
})

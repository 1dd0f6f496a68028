import { SharedMap } from './dist/src/index.js'
const map = new SharedMap({ ttl: Infinity, maxBytes: 1 << 22 }).async()
let runs = 0
const values = await Promise.all(Array.from({ length: 8 }, () => map.getOrComputeAsync('k', async () => { runs++; await new Promise(r => setTimeout(r, 20)); return 'computed' })))
console.log(runs, values[0])
await map.getOrComputeAsync('bad', async () => Promise.reject(new Error('boom'))).catch(e => console.log(e.message))
console.log(await map.getOrComputeAsync('bad', async () => 'second'))
console.log('n', await map.getOrComputeAsync('nothing', async () => undefined))
console.log(await map.has('nothing'))
console.log(await map.getOrCompute('sync', (key) => `${String(key)}!`))
console.log(await map.getOrCompute('sync', () => 'other'))
console.log('ttl test'); await map.set('short', 1, { ttl: 40 }); console.log('done')

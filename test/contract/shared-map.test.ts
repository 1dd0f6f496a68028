// The contract suite over SharedMap.async(), for every concurrency strategy.
import { SharedMap } from '../../src/index.js'
import type { Concurrency } from '../../src/index.js'
import { contract } from './suite.js'

const strategies: readonly Concurrency[] = ['optimistic', 'sharded', 'rwmutex', 'mutex', 'none']

for (const concurrency of strategies) {
  contract(`SharedMap.async() '${concurrency}'`, async () => ({
    // ttl: Infinity makes a cache map (entry ttls, getOrComputeAsync) whose entries never expire by default.
    open: () => new SharedMap({ concurrency, ttl: Infinity, maxBytes: 1 << 22 }).async(),
    close: async () => undefined,
  }))
}

// SharedKeyedMutex keeps its key type through its handle, share() and attachShared(),
// and conmap/test's options name only the yield sites that exist.
import { SharedKeyedMutex, attachShared, share, type HandleOf, type KeyedGuard, type SharedKeyedMutexHandle } from 'conmap'
import { shake, type ShakeOptions } from 'conmap/test'
import { assertEqual } from './expect.js'

const locks = new SharedKeyedMutex<string>({ stripes: 64 })
assertEqual<HandleOf<typeof locks>, SharedKeyedMutexHandle<string>>(true)
assertEqual<ReturnType<typeof SharedKeyedMutex.attach<string>>, SharedKeyedMutex<string>>(true)

const { locks: attached } = attachShared(share({ locks }))
assertEqual<typeof attached, SharedKeyedMutex<string>>(true)
assertEqual<Awaited<ReturnType<typeof attached.lock>>, KeyedGuard<string>>(true)
// @ts-expect-error the keys are strings
void attached.lock(1)

const options: ShakeOptions = { seed: 1, sites: ['KeyedMutex.grant', 'SharedMap.getOrComputeAsync'] }
shake(options).stop()
// @ts-expect-error no such yield site
shake({ sites: ['KeyedMutex.unlock'] })

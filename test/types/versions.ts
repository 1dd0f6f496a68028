// Versioned reads and writes: what getVersioned returns, and what the writes take.
import { ABSENT_VERSION, SharedMap, type Versioned } from 'conmap'
import { assertEqual } from './expect.js'

interface Account {
  readonly balance: number
}

const accounts = new SharedMap<string, Account>()
const seen = accounts.getVersioned('ada')
assertEqual<typeof seen, Versioned<Account> | undefined>(true)
assertEqual<Versioned<Account>, { readonly value: Account; readonly version: number }>(true)
assertEqual<typeof ABSENT_VERSION, 0>(true)
if (seen !== undefined) {
  assertEqual<typeof seen.version, number>(true)
  assertEqual<ReturnType<typeof accounts.setIfVersion>, boolean>(true)
  accounts.setIfVersion('ada', { balance: seen.value.balance + 1 }, seen.version)
  // @ts-expect-error the value must be the map's V
  accounts.setIfVersion('ada', 'rich', seen.version)
  // @ts-expect-error the version is a number, not the Versioned result
  accounts.deleteIfVersion('ada', seen)
  // @ts-expect-error a version is read only
  seen.version = 1
}
accounts.setIfVersion('bob', { balance: 0 }, ABSENT_VERSION)
const cache = new SharedMap<string, number>({ ttl: 1000 })
cache.setIfVersion('n', 1, ABSENT_VERSION, { ttl: 50 })
// @ts-expect-error keys are the map's K
accounts.getVersioned(1)

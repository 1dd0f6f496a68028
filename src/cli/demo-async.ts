/**
 * The demo's fourth act: the lost update with no thread in sight. Page visits on one
 * thread each read a counter, await a save, and write the counter back; every await
 * lets the other visits run, so all but one increment are lost. detectLostUpdates
 * reports each, with the fix; the same visits under a KeyedMutex count every one.
 */
import { detectLostUpdates, KeyedMutex, type LostUpdateReport } from '../index.js'

const VISITS = 20

export interface AsyncActReport {
  readonly visits: number
  readonly racy: { readonly counted: number; readonly reported: number; readonly fix: string }
  readonly locked: { readonly counted: number; readonly reported: number }
}

const save = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1))

export async function lostUpdateAct(): Promise<AsyncActReport> {
  let first: LostUpdateReport<string> | undefined
  const racy = detectLostUpdates(new Map<string, number>(), { mode: 'count', onLostUpdate: (report) => (first ??= report) })
  await Promise.all(
    Array.from({ length: VISITS }, async () => {
      const n = racy.get('/') ?? 0
      await save()
      racy.set('/', n + 1)
    }),
  )
  const fixed = detectLostUpdates(new Map<string, number>(), { mode: 'count' })
  const locks = new KeyedMutex<string>()
  await Promise.all(
    Array.from({ length: VISITS }, () =>
      locks.runExclusive('/', async () => {
        const n = fixed.get('/') ?? 0
        await save()
        fixed.set('/', n + 1)
      }),
    ),
  )
  return {
    visits: VISITS,
    racy: { counted: racy.get('/') ?? 0, reported: racy.lostUpdates, fix: first?.fix ?? '' },
    locked: { counted: fixed.get('/') ?? 0, reported: fixed.lostUpdates },
  }
}

import { detectLostUpdates, KeyedMutex } from 'conmap'

const save = () => new Promise((resolve) => setTimeout(resolve, 1))

const racy = detectLostUpdates(new Map(), { mode: 'count', onLostUpdate: (report) => console.log(`lost update of ${report.key}`) })
async function visit(page) {
  const n = racy.get(page) ?? 0
  await save(page, n + 1)
  racy.set(page, n + 1) // overwrites what the other visits wrote meanwhile
}
await Promise.all([visit('/'), visit('/'), visit('/')])
console.log(`racy: ${racy.get('/')} of 3 visits counted, ${racy.lostUpdates} lost updates`)

const fixed = detectLostUpdates(new Map(), { mode: 'throw' })
const locks = new KeyedMutex()
async function visitLocked(page) {
  await locks.runExclusive(page, async () => {
    const n = fixed.get(page) ?? 0
    await save(page, n + 1)
    fixed.set(page, n + 1)
  })
}
await Promise.all([visitLocked('/'), visitLocked('/'), visitLocked('/')])
console.log(`locked: ${fixed.get('/')} of 3 visits counted, ${fixed.lostUpdates} lost updates`)

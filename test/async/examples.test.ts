// The README's "Async code" examples are examples/async, run here as a
// user would run them (plain JavaScript importing 'conmap' by name, on the Node running
// the tests), and the README shows those files as they are.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runNode } from '../helpers/cli.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

const expected = {
  'locks.mjs': "Map(2) { 'ann' => 94, 'bob' => 106 }\nU1* U1* U2 U1* (2 fetches)\n",
  'lost-update.mjs': 'lost update of /\nlost update of /\nracy: 1 of 3 visits counted, 2 lost updates\nlocked: 3 of 3 visits counted, 0 lost updates\n',
  'shared-locks.mjs': '200 of 200 visits counted\n',
  'shake.mjs': 'a quiet run passes\nfailed under schedule shaking with seed 1 (run 1 of 50, 1 of 4 yield points delayed): seat 12A booked 2 times\nseed 1 fails again\n',
} as const

for (const [file, stdout] of Object.entries(expected)) {
  test(`examples/async/${file} runs as the README says, and the README shows it verbatim`, { timeout: 60_000 }, async () => {
    const ran = await runNode([`${root}examples/async/${file}`], { cwd: root })
    assert.equal(ran.code, 0, ran.stderr)
    assert.equal(ran.stdout, stdout)
    const readme = readFileSync(`${root}README.md`, 'utf8')
    assert.ok(readme.includes(`// ${file}\n${readFileSync(`${root}examples/async/${file}`, 'utf8')}\`\`\``), `README.md shows examples/async/${file} as it is`)
  })
}

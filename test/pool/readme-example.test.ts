// The README's five-minute path is examples/pool, run here as a user would run it
// (a child process importing 'conmap' by name, with a real piscina pool), and the
// README shows those files as they are.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runNode } from '../helpers/cli.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

test('examples/pool runs: one fetch per user across the pool, and the README shows it verbatim', async () => {
  const result = await runNode([`${root}examples/pool/main.mjs`], { cwd: root })
  assert.equal(result.code, 0, result.stderr)
  assert.equal(result.stdout, 'U1 U2 U1 U3 U2 U1\n6 lookups, 3 fetches\n')
  const readme = readFileSync(`${root}README.md`, 'utf8')
  for (const file of ['main.mjs', 'task.mjs']) {
    assert.ok(readme.includes(`// ${file}\n${readFileSync(`${root}examples/pool/${file}`, 'utf8')}\`\`\``), `README.md shows examples/pool/${file} as it is`)
  }
})

// The README's guard() example is examples/guard/breaker.mjs, run here as a user
// would run it (plain JavaScript importing 'conmap' by name, with a real worker),
// and the README shows it as it is.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { runNode } from '../helpers/cli.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

test('examples/guard/breaker.mjs runs as the README says, and the README shows it verbatim', { timeout: 60_000 }, async () => {
  const ran = await runNode([`${root}examples/guard/breaker.mjs`], { cwd: root })
  assert.equal(ran.code, 0, ran.stderr)
  assert.equal(
    ran.stdout,
    [
      'ERR_LOCK_TIMEOUT',
      'ERR_LOCK_TIMEOUT',
      'ERR_LOCK_TIMEOUT',
      'ERR_BREAKER_OPEN',
      'breaker open here, open in the worker',
      'set ok, set ERR_LOCK_TIMEOUT, set ERR_LOCK_TIMEOUT, set ERR_LOCK_TIMEOUT, set ERR_BREAKER_OPEN',
      '',
    ].join('\n'),
  )
  const readme = readFileSync(`${root}README.md`, 'utf8')
  assert.ok(readme.includes(`// breaker.mjs\n${readFileSync(`${root}examples/guard/breaker.mjs`, 'utf8')}\`\`\``), 'README.md shows examples/guard/breaker.mjs as it is')
})

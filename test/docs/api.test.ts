// docs/api is the API reference generated from the sources' TSDoc (typedoc.json):
// regenerated here into a scratch folder, it must equal what is checked in, so the
// reference never lags the code (`npm run docs` rewrites it).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runNode } from '../helpers/cli.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))

function files(dir: string): Map<string, string> {
  const found = new Map<string, string>()
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name)
      if (statSync(path).isDirectory()) walk(path)
      else found.set(relative(dir, path), readFileSync(path, 'utf8'))
    }
  }
  walk(dir)
  return found
}

test('docs/api is what `npm run docs` makes from the sources now', { timeout: 120_000 }, async () => {
  const out = mkdtempSync(join(tmpdir(), 'conmap-docs-'))
  try {
    const ran = await runNode([join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: root })
    assert.equal(ran.code, 0, ran.stdout + ran.stderr)
    const made = files(out)
    const checkedIn = files(join(root, 'docs/api'))
    assert.ok(made.size > 50, `typedoc wrote ${made.size} pages`)
    assert.ok(made.get('index/interfaces/SharedMapClass.md')?.includes('### getOrComputeAsync()'), 'SharedMap is documented with its methods')
    const stale = [...made].filter(([path, text]) => checkedIn.get(path) !== text).map(([path]) => path)
    const extra = [...checkedIn.keys()].filter((path) => !made.has(path))
    assert.deepEqual({ stale, extra }, { stale: [], extra: [] }, 'docs/api is out of date: run `npm run docs` and commit docs/api')
  } finally {
    rmSync(out, { recursive: true, force: true })
  }
})

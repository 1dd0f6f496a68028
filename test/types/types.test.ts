// The type tests: tsc compiles every other .ts file of this folder against the built
// declarations (they import 'conmap', which package.json "exports" resolves to
// dist/src), under their own strict tsconfig. Each thing that must not compile sits
// under a `// @ts-expect-error`, which tsc reports (TS2578) the day it compiles.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const LIMIT = { timeout: 120_000 }
const root = fileURLToPath(new URL('../../../', import.meta.url))
const sources = join(root, 'test', 'types')
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')

function compile(project: string): { status: number | null; output: string; files: string[] } {
  const run = spawnSync(process.execPath, [tsc, '-p', project, '--listFiles', '--pretty', 'false'], { cwd: root, encoding: 'utf8' })
  const output = `${run.stdout}${run.stderr}`
  const files = output.split('\n').filter((line) => line.startsWith('/')).map((line) => relative(root, line))
  return { status: run.status, output, files }
}

test('the usage files under test/types compile against the built .d.ts, every @ts-expect-error meeting its error', LIMIT, () => {
  assert.ok(existsSync(join(root, 'dist', 'src', 'index.d.ts')), 'build first: the type tests read dist/src/*.d.ts')
  const usage = readdirSync(sources).filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts') && name !== 'types.test.ts')
  assert.ok(usage.length >= 3, `usage files found: ${usage.join(', ')}`)
  const { status, output, files } = compile(join(sources, 'tsconfig.json'))
  assert.equal(status, 0, output.split('\n').filter((line) => !line.startsWith('/')).join('\n'))
  for (const name of usage) assert.ok(files.includes(join('test', 'types', name)), `${name} is in the program`)
  assert.ok(files.includes(join('dist', 'src', 'index.d.ts')), "'conmap' resolves to the built declarations")
  assert.ok(!files.some((file) => file.startsWith('src/')), 'no source file is in the program: users get the .d.ts')
})

test('the harness fails on an expectation that no longer holds and on a real error', LIMIT, () => {
  // Under dist/, in the package, so that 'conmap' resolves as it does for the usage files.
  const dir = join(root, 'dist', 'test', 'types', `negative-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  try {
    writeFileSync(
      join(dir, 'probe.ts'),
      [
        "import { SharedMap } from 'conmap'",
        'const map = new SharedMap<string, number>()',
        '// @ts-expect-error (wrongly: this compiles)',
        "map.set('a', 1)",
        "map.set('a', 'one')",
        '',
      ].join('\n'),
    )
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(sources, 'tsconfig.json'), include: ['probe.ts'], exclude: [] }))
    const { status, output } = compile(join(dir, 'tsconfig.json'))
    assert.notEqual(status, 0)
    assert.match(output, /probe\.ts\(3,1\): error TS2578: Unused '@ts-expect-error' directive/)
    assert.match(output, /probe\.ts\(5,\d+\): error TS2345/)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

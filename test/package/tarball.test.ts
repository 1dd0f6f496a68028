// What `npm pack` ships, checked on the real tarball of the current build (scripts
// ignored: no rebuild): the files users run and read, and none of the developers'
// (tests, the bench harness, sources); every module a shipped module loads, and every
// declaration a shipped declaration names, shipped too; no module shipped that no entry
// point (an export or the command) loads; source maps, where shipped, resolving to shipped sources. Then the
// tarball is unpacked into a node_modules of its own, beside its one dependency, and
// used as a user would: require() and import of every entry point, and the command.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { runNode } from '../helpers/cli.js'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string
  license: string
  bin: Record<string, string>
  exports: Record<string, string | { types: string; default: string }>
  dependencies: Record<string, string>
}

interface Packed {
  readonly filename: string
  readonly files: readonly { readonly path: string; readonly size: number }[]
}

let scratch = ''
let packed: Packed
let shipped: Set<string>
/** The unpacked package, where node_modules/conmap is the tarball's content. */
let project = ''

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'conmap-pack-'))
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 })
  const [result] = JSON.parse(stdout) as Packed[]
  assert.ok(result !== undefined, stdout)
  packed = result
  shipped = new Set(packed.files.map((f) => f.path))
  project = join(scratch, 'project')
  const installed = join(project, 'node_modules', 'conmap')
  mkdirSync(installed, { recursive: true })
  await run('tar', ['-xzf', join(scratch, packed.filename), '-C', installed, '--strip-components=1'])
  for (const name of Object.keys(manifest.dependencies)) symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name), 'dir')
})

after(() => rmSync(scratch, { recursive: true, force: true }))

const text = (path: string) => readFileSync(join(project, 'node_modules', 'conmap', path), 'utf8')
const entryPoints = () => [...Object.values(manifest.exports).flatMap((e) => (typeof e === 'string' ? [e] : [e.default, e.types])), ...Object.values(manifest.bin)].map((p) => posix.normalize(p))

test('the tarball holds the license, the readme, the manifest and every entry point', () => {
  for (const path of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', ...entryPoints()]) assert.ok(shipped.has(path), `${path} is not in the tarball`)
  assert.equal(manifest.license, 'MIT')
  const license = text('LICENSE')
  assert.match(license, /^MIT License\n\nCopyright \(c\) \d{4} the conmap authors\n/)
  assert.match(license, /THE SOFTWARE IS PROVIDED "AS IS"/)
})

test('no tests, no bench harness, no sources, no modules only the developers use', () => {
  const unwanted = [...shipped].filter(
    (p) => /^(test|bench|src|scripts|docs|node_modules|dist\/test|dist\/bench)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')) || /^dist\/src\/bench\/(charts|markdown|svg|targets)\./.test(p),
  )
  assert.deepEqual(unwanted, [])
})

/** The relative modules a file loads: imports, exports, import() and new URL(…, import.meta.url) (workers, child processes). */
function references(path: string): string[] {
  const source = text(path)
  const specifiers = [
    ...source.matchAll(/\b(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g),
    ...source.matchAll(/new URL\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g),
  ].map((m) => m[1] as string)
  return specifiers.map((s) => posix.join(posix.dirname(path), path.endsWith('.d.ts') ? s.replace(/\.js$/, '.d.ts') : s))
}

/** Every file reached from `from`, following references(); what is missing from the tarball is reported. */
function reach(from: readonly string[]): { reached: Set<string>; missing: string[] } {
  const reached = new Set<string>()
  const missing: string[] = []
  const todo = [...from]
  for (let path = todo.pop(); path !== undefined; path = todo.pop()) {
    if (reached.has(path)) continue
    reached.add(path)
    if (!shipped.has(path)) missing.push(path)
    else todo.push(...references(path))
  }
  return { reached, missing }
}

test('every module and declaration a shipped file names is shipped, and every shipped module is reached from an entry point', () => {
  const js = reach(entryPoints().filter((p) => p.endsWith('.js')))
  const dts = reach(entryPoints().filter((p) => p.endsWith('.d.ts')))
  assert.deepEqual([...js.missing, ...dts.missing], [])
  // A module of types only compiles to an empty one: nothing loads it, nothing is lost.
  const typesOnly = (path: string) => text(path).replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '').trim() === 'export {};'
  const unreached = [...shipped].filter((p) => p.endsWith('.js') && !js.reached.has(p) && !typesOnly(p))
  assert.deepEqual(unreached, [])
})

test('source maps: every one a shipped module names is shipped, and its sources too', () => {
  const maps = [...shipped].filter((p) => p.endsWith('.js')).flatMap((p) => [...text(p).matchAll(/^\/\/# sourceMappingURL=(.+)$/gm)].map((m) => ({ from: p, map: posix.join(posix.dirname(p), (m[1] as string).trim()) })))
  for (const { from, map } of maps) {
    assert.ok(shipped.has(map), `${from} names ${map}, which is not shipped`)
    const { sources } = JSON.parse(text(map)) as { sources: string[] }
    for (const source of sources) assert.ok(shipped.has(posix.join(posix.dirname(map), source)), `${map} points at ${source}, which is not shipped`)
  }
  for (const map of [...shipped].filter((p) => p.endsWith('.map'))) assert.ok(maps.some((m) => m.map === map), `${map} is shipped but no module names it`)
})

test('the unpacked tarball works as installed: require() and import of every entry point, and the command', async () => {
  const subpaths = Object.keys(manifest.exports).map((key) => `conmap${key.slice(1)}`)
  const script = `const loaded = ${JSON.stringify(subpaths)}.map((name) => Object.keys(require(name)).length); const { SharedMap } = require('conmap'); const map = new SharedMap(); map.set('k', { n: 1 }); console.log(JSON.stringify({ loaded, value: map.get('k') }))`
  const required = await inProject(['-e', script])
  assert.equal(required.code, 0, required.stderr)
  const { loaded, value } = JSON.parse(required.stdout) as { loaded: number[]; value: unknown }
  assert.deepEqual(value, { n: 1 })
  assert.equal(loaded.length, subpaths.length)

  const imported = await inProject(['--input-type=module', '-e', `for (const name of ${JSON.stringify(subpaths.filter((s) => !s.endsWith('.json')))}) { const m = await import(name); if (Object.keys(m).length === 0) throw new Error(name + ' exports nothing') }`])
  assert.equal(imported.code, 0, imported.stderr)

  const bin = join(project, 'node_modules', 'conmap', manifest.bin['conmap'] ?? '')
  const version = await inProject([bin, '--version'])
  assert.equal(version.stdout, `${manifest.version}\n`, version.stderr)
  const help = await inProject([bin, 'bench', '--help'])
  assert.equal(help.code, 0, help.stderr)
  assert.match(help.stdout, /^usage: conmap bench /)
})

function inProject(argv: readonly string[]) {
  return runNode(argv, { cwd: project })
}


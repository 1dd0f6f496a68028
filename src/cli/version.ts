/**
 * The package's version, read from package.json at run time (the one three levels
 * above dist/src/cli/), so that `conmap --version` and a bench result name the
 * release that is installed rather than a copy taken at build time.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const MANIFEST = new URL('../../../package.json', import.meta.url)

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { name?: unknown; version?: unknown }
  if (manifest.name !== 'conmap' || typeof manifest.version !== 'string') throw new Error(`${fileURLToPath(MANIFEST)} is not conmap's package.json`)
  return manifest.version
}

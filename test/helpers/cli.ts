// Node in a real child process, its output collected: the `conmap` command
// (dist/src/cli/main.js) or any script.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const CONMAP = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url))

export interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export function runConmap(args: readonly string[], options: { readonly env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return runNode([CONMAP, ...args], options)
}

export function runNode(argv: readonly string[], options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  })
}

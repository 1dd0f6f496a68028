#!/usr/bin/env node
/**
 * The `conmap` command: `demo` (what `npm start` runs), `storm` and `bench`, each
 * with `--json` and `--help`; `--help`, `-h` and `--version` on their own. Exit
 * status: 0 success, 1 a violation or failed check, 2 usage.
 */
import { benchCommand } from './bench.js'
import { demoCommand } from './demo.js'
import { stormCommand } from './storm.js'
import { processIo, type Io } from './terminal.js'
import { packageVersion } from './version.js'

const USAGE = `usage: conmap <command> [options]
       conmap --help | --version

commands:
  demo    workers sharing one map: updates lost without protection, misuse caught
          as Go's race detector catches it, no update lost under each strategy
  storm   many workers against one map: latency, errors, linearizability (--check),
          worker kills (--kill)
  bench   SharedMap against Map, postMessage and peer libraries on this machine
          (--quick, --json)
  help    this text; 'conmap help <command>' (or 'conmap <command> --help') for
          a command's options

options:
  -h, --help     this text
  -v, --version  the version of conmap
`

type Command = (argv: string[], io: Io) => Promise<number>

const help: Command = async (argv, io) => {
  const [topic = 'help', ...extra] = argv
  const command = topic === 'help' ? undefined : commands[topic]
  if (extra.length > 0 || (topic !== 'help' && command === undefined)) return usageError(io, `no help for '${argv.join(' ')}'`)
  if (command !== undefined) return command(['--help'], io)
  io.stdout.write(USAGE)
  return 0
}

const version: Command = async (argv, io) => {
  if (argv.length > 0) return usageError(io, `--version takes no arguments, got '${argv.join(' ')}'`)
  io.stdout.write(`${packageVersion()}\n`)
  return 0
}

const commands: Record<string, Command> = { demo: demoCommand, storm: stormCommand, bench: benchCommand, help }
/** The options that stand for a command: `conmap --help bench` is `conmap help bench`. */
const flags: Record<string, Command> = { '--help': help, '-h': help, '--version': version, '-v': version }

function usageError(io: Io, message: string): number {
  io.stderr.write(`conmap: ${message}\n\n${USAGE}`)
  return 2
}

async function main(argv: string[]): Promise<number> {
  const io = processIo()
  const [name = 'help', ...rest] = argv
  const command = commands[name] ?? flags[name]
  if (command === undefined) return usageError(io, name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`)
  return command(rest, io)
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.stderr.write(`conmap: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    process.exitCode = 1
  },
)

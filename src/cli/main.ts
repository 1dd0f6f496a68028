#!/usr/bin/env node
/**
 * The `conmap` command: `demo` (what `npm start` runs), `storm` and `bench`, each
 * with `--json`. Exit status: 0 success, 1 a violation or failed check, 2 usage.
 */
import { benchCommand } from './bench.js'
import { demoCommand } from './demo.js'
import { stormCommand } from './storm.js'
import { processIo, type Io } from './terminal.js'

const USAGE = `usage: conmap <command> [options]

commands:
  demo    a narrated run of seed 000's story with real workers (npm start)
  storm   many workers against one map: latency, errors, linearizability (--check),
          worker kills (--kill); run 'conmap storm --help' for its options
  bench   SharedMap against Map, postMessage and peer libraries (--quick, --json)
  help    this text
`

type Command = (argv: string[], io: Io) => Promise<number>

const commands: Record<string, Command> = {
  demo: demoCommand,
  storm: stormCommand,
  bench: benchCommand,
  async help(_argv, io) {
    io.stdout.write(USAGE)
    return 0
  },
}

async function main(argv: string[]): Promise<number> {
  const io = processIo()
  const [name = 'help', ...rest] = argv
  const command = commands[name]
  if (command === undefined) {
    io.stderr.write(`conmap: unknown command '${name}'\n\n${USAGE}`)
    return 2
  }
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

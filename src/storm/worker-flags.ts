/**
 * Node flags for storm threads: the parent's, minus --input-type, which workers
 * inherit but refuse (they run files, not --eval input), so that a storm started
 * from `node --input-type=module -e …` can start its workers.
 */
export function workerExecArgv(): string[] {
  const args: string[] = []
  const parent = process.execArgv
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i] as string
    if (arg === '--input-type') i++
    else if (!arg.startsWith('--input-type=')) args.push(arg)
  }
  return args
}

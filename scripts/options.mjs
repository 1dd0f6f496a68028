// The command-line options of the measuring scripts: `--name value` pairs after the
// script's own arguments.
export const args = process.argv.slice(2)

/** The value after `name`, or fallback when `name` is absent. */
export function option(name, fallback) {
  const at = args.indexOf(name)
  return at < 0 ? fallback : args[at + 1]
}

/** option(), as a number. */
export function numberOption(name, fallback) {
  return Number(option(name, fallback))
}

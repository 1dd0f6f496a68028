/**
 * --grow: a storm whose map's buffer keeps growing from the first second to the last.
 *
 * Why: the map lives in one growable SharedArrayBuffer, and each thread reads it
 * through fixed-length views that it replaces when it sees the buffer has grown
 * (src/map/arena.ts). Whatever races growth (a reader whose views end just before
 * a record or a table a writer has put past them) only shows while the buffer
 * grows, and a storm's map, made with room for 1024 entries of 16-byte values,
 * barely grows at all.
 *
 * How growth is kept going: the buffer grows by doubling and never shrinks, so a
 * map grows about log2(final / initial) times, and growth at a steady rate needs
 * live data that doubles at a steady rate. Key churn cannot do that (the key space
 * is fixed, and a freed record's block is taken again by the next record of its
 * size class in its shard), nor can big values from the start (a few growths in
 * the first moments, then none). So the values grow: each write's length is drawn
 * uniformly up to a ceiling that starts where the keys' values would fill the
 * initial buffer and doubles DOUBLINGS times, evenly in time, by the deadline. The
 * live data, and with it the buffer, doubles about every duration / DOUBLINGS
 * seconds; the blocks of smaller classes that a key's earlier values leave on the
 * free lists do not fit its later ones, so writers take fresh memory all along.
 * Readers see every size, from a few bytes to the ceiling. A fixed number of
 * doublings bounds the final buffer (a few times initial × 2^DOUBLINGS) whatever
 * the duration and the key space. Few keys would need huge values for that, so the
 * ceiling stops at MAX_LENGTH, and there the run has fewer doublings, still spread
 * over its whole length. The map starts minimal (initialCapacity 0), so its tables
 * grow, and move, early on as well.
 *
 * What it cannot do: the buffer grows about ten times a run, so a race whose window
 * is a few instructions wide is seldom hit. A reader caught between syncing its
 * views and loading its shard's seq while a writer grows the buffer and moves the
 * key (issue 8, finding 1) was caught by none of a dozen growing storms, and by 2
 * of 3 once that window was widened to ~100 µs in a scratch build: such races want
 * a failpoint that holds the thread inside the window, for a storm to exercise.
 */

/** Doublings of the value ceiling over a run. */
export const DOUBLINGS = 8
/** Longest value a growing storm writes: past it a storm would mostly copy bytes. */
export const MAX_LENGTH = 256 * 1024

/** What a worker needs to draw the lengths of its values. */
export interface GrowthPlan {
  /** The ceiling at the start line, in characters. */
  readonly from: number
  /** Doublings of the ceiling by the deadline: DOUBLINGS, or fewer where MAX_LENGTH stops it. */
  readonly doublings: number
  /** The run's length in ms: progress through it is 1 − (deadline − now) / duration. */
  readonly duration: number
}

/** The plan for a map whose buffer starts at `initialBytes`, stormed on `keys` keys for `seconds`. */
export function growthPlan(initialBytes: number, keys: number, seconds: number): GrowthPlan {
  // Mean length is half the ceiling: the keys' values then fill about the initial buffer.
  const from = Math.min(MAX_LENGTH, Math.ceil((2 * initialBytes) / keys))
  return { from, doublings: Math.min(DOUBLINGS, Math.log2(MAX_LENGTH / from)), duration: seconds * 1000 }
}

export interface BufferGrowth {
  /** The buffer's size when the storm started, and when its workers stopped. */
  readonly initialBytes: number
  readonly finalBytes: number
  /** Times the buffer grew. */
  readonly growths: number
  /** Seconds into the run of each growth seen (one per sample that found the buffer larger). */
  readonly growthTimes: readonly number[]
}

/**
 * Counts the growths of a map's buffer by sampling its size (the parent's tick).
 * Every growth at least doubles the buffer, so a sample that finds it 2^n times
 * larger counts n growths; at the storm's pace (a growth per duration / DOUBLINGS)
 * a sample rarely sees more than one.
 */
export class GrowthMeter {
  readonly #buffer: SharedArrayBuffer
  readonly #initial: number
  readonly #times: number[] = []
  #last: number
  #growths = 0

  constructor(buffer: SharedArrayBuffer) {
    this.#buffer = buffer
    this.#initial = buffer.byteLength
    this.#last = this.#initial
  }

  get initialBytes(): number {
    return this.#initial
  }

  /** `at`: seconds into the run. */
  sample(at: number): void {
    const bytes = this.#buffer.byteLength
    if (bytes === this.#last) return
    this.#growths += Math.max(1, Math.floor(Math.log2(bytes / this.#last)))
    this.#times.push(at)
    this.#last = bytes
  }

  result(): BufferGrowth {
    return { initialBytes: this.#initial, finalBytes: this.#last, growths: this.#growths, growthTimes: [...this.#times] }
  }
}

/**
 * The set of operations linearized so far on the current search path, and the
 * memo of (set, state) configurations already explored.
 *
 * Porcupine stores a full bitset per memo entry, which costs n²/8 bytes on an
 * n-operation partition: 1.25 GB for a 100k-operation hot key. This set stores a
 * fingerprint instead. Completed operations are numbered in call order, and every
 * linearized one was invoked before the earliest unlinearized one returned, so the
 * completed part of the set is always "all of 0..lead-1" plus a few indices just
 * above `lead`, the operations overlapping operation `lead`. Pending operations
 * (numbered after the completed ones) may be dropped, so they would hold `lead`
 * back for ever; they are kept as a bitset of their own, which stays short
 * because only operations in flight when a worker died are pending.
 *
 * Fingerprint layout: [lead, completed indices above lead..., pending bitset words...].
 * Memo lookups go by state key, then by a Zobrist hash of the set (one random word
 * per operation, XORed in and out in O(1)), then by exact fingerprint comparison:
 * the memo never confuses two configurations.
 */

export class LinearizedSet {
  private readonly completed: number
  private readonly done: Uint32Array
  private readonly pending: Uint32Array
  private readonly zobrist: Int32Array
  private lead = 0
  private completedCount = 0
  private zobristHash = 0

  constructor(completed: number, total: number) {
    this.completed = completed
    this.done = new Uint32Array((completed + 31) >>> 5)
    this.pending = new Uint32Array((total - completed + 31) >>> 5)
    this.zobrist = new Int32Array(total)
    for (let i = 0; i < total; i++) this.zobrist[i] = mix(i)
  }

  /** Equal sets have equal hashes. */
  get hash(): number {
    return this.zobristHash
  }

  add(op: number): void {
    this.zobristHash ^= this.zobrist[op]!
    if (op >= this.completed) {
      const p = op - this.completed
      this.pending[p >>> 5]! |= 1 << (p & 31)
      return
    }
    this.done[op >>> 5]! |= 1 << (op & 31)
    this.completedCount++
    if (op === this.lead) {
      while (this.lead < this.completed && this.isDone(this.lead)) this.lead++
    }
  }

  remove(op: number): void {
    this.zobristHash ^= this.zobrist[op]!
    if (op >= this.completed) {
      const p = op - this.completed
      this.pending[p >>> 5]! &= ~(1 << (p & 31))
      return
    }
    this.done[op >>> 5]! &= ~(1 << (op & 31))
    this.completedCount--
    if (op < this.lead) this.lead = op
  }

  fingerprint(): number[] {
    const above = this.completedCount - this.lead
    const out = [this.lead]
    let found = 0
    for (let w = this.lead >>> 5; found < above; w++) {
      let word = this.done[w]!
      if (w === this.lead >>> 5) word &= ~0 << (this.lead & 31)
      while (word !== 0) {
        const low = word & -word
        out.push((w << 5) + 31 - Math.clz32(low))
        found++
        word ^= low
      }
    }
    for (const word of this.pending) out.push(word | 0)
    return out
  }

  private isDone(op: number): boolean {
    return (this.done[op >>> 5]! & (1 << (op & 31))) !== 0
  }
}

/** Configurations (linearized set, model state) already explored without success. */
export class ConfigurationMemo {
  private readonly byState = new Map<string | number, Map<number, number[][]>>()

  /** Records the configuration; false when it was already recorded. */
  insert(stateKey: string | number, set: LinearizedSet): boolean {
    let byHash = this.byState.get(stateKey)
    if (byHash === undefined) {
      byHash = new Map()
      this.byState.set(stateKey, byHash)
    }
    const fingerprint = set.fingerprint()
    const bucket = byHash.get(set.hash)
    if (bucket === undefined) {
      byHash.set(set.hash, [fingerprint])
      return true
    }
    if (bucket.some((seen) => sameFingerprint(seen, fingerprint))) return false
    bucket.push(fingerprint)
    return true
  }
}

function sameFingerprint(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** A well-spread 32-bit word per operation index (the splitmix32 finalizer). */
function mix(i: number): number {
  let x = Math.imul(i + 0x9e3779b9, 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return x ^ (x >>> 16)
}

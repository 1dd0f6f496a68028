/**
 * Small integer ids for things the checker compares often (values, model states):
 * equal names get equal ids, handed out from 0 in order of first appearance, so
 * a model's step compares integers and its state is its own memo key.
 */
export class Interner<T> {
  readonly #ids = new Map<string, number>()
  readonly #items: T[] = []
  readonly #nameOf: (item: T) => string

  /** `nameOf` must give equal items equal names and distinct items distinct names. */
  constructor(nameOf: (item: T) => string) {
    this.#nameOf = nameOf
  }

  id(item: T): number {
    const name = this.#nameOf(item)
    let id = this.#ids.get(name)
    if (id === undefined) {
      id = this.#items.length
      this.#ids.set(name, id)
      this.#items.push(item)
    }
    return id
  }

  of(id: number): T {
    return this.#items[id]!
  }
}

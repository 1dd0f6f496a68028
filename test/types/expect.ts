// The assertions of the type tests, shared by every usage file of this folder: each
// is a declaration only, so a file that uses them is checked and never run.

/** Compiles only when A and B are the same type (not merely assignable either way). */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** `assertEqual<A, B>(true)` compiles only when A and B are the same type. */
export declare function assertEqual<A, B>(proof: Equal<A, B>): void

/** Compiles only when value is assignable to T. */
export declare function expectType<T>(value: T): void

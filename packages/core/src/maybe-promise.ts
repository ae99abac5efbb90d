/** A value or a promise of one: the memory and SQLite stores answer synchronously, PostgreSQL does not. */
export type MaybePromise<T> = T | Promise<T>;

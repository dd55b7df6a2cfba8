/**
 * Runs a synchronous store operation as a promise: a throw becomes a rejection, so callers of the async
 * `LifecycleStore` contract never see a synchronous exception (a Postgres store will be truly async).
 */
export function settle<T>(operation: () => T): Promise<T> {
  // A throw inside the executor rejects the promise.
  return new Promise<T>((resolve) => resolve(operation()))
}

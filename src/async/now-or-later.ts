/**
 * A value now, or a promise of it when I/O is needed. The hot paths (verify with a cached key, the
 * local authenticator, a body the dev host has already read) answer in the same turn; each
 * `await` of an already-known value would cost a promise and a trip through the microtask queue,
 * which over HTTP cost the verify route about a twentieth of its throughput.
 *
 * A step that returns NowOrLater may also throw at once; run such steps inside `recover` (the
 * route layer does) or inside an async function, where a throw becomes a rejection.
 */
export type NowOrLater<T> = T | Promise<T>;

/** `next(value)` at once for a value, after it settles for a promise: only a promise makes the result one. */
export function andThen<T, R>(value: NowOrLater<T>, next: (value: T) => NowOrLater<R>): NowOrLater<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/**
 * try/catch for a NowOrLater computation: a synchronous throw and a rejection both go to `onError`
 * (which may answer, or throw to pass the failure on).
 */
export function recover<R>(run: () => NowOrLater<R>, onError: (error: unknown) => NowOrLater<R>): NowOrLater<R> {
  let result: NowOrLater<R>;
  try {
    result = run();
  } catch (error: unknown) {
    return onError(error);
  }
  return result instanceof Promise ? result.catch(onError) : result;
}

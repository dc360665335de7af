/**
 * Waits for `work` unless `signal` aborts first; then rejects with the signal's reason
 * (an `AbortError` DOMException unless the caller gave another), as `fetch` and Node's
 * own APIs do. Aborting ends the wait, not the work: `work` runs on and any failure of
 * it is dropped, so it cannot surface as an unhandled rejection.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      work.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

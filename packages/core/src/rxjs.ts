/**
 * RxJS interop: `import { toObservable } from "@cellflow/core/rxjs"`. This entry point
 * imports `rxjs` (an optional peer dependency of `@cellflow/core`; install it next to
 * it). Sources from observables and async iterables need no RxJS and live in the main
 * entry point: `ObservableSource`, `IterableSource`.
 *
 * @module @cellflow/core/rxjs
 */
export { toObservable } from "./interop/to-observable.js";

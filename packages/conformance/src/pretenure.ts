/**
 * Test scaffolding for two V8 hazards of a per-request object: pretenuring, and dictionary mode.
 *
 * V8 may decide that every object an allocation site makes (an object or array literal) is
 * long-lived and allocate it in the old generation from then on. It decides so after a burst in
 * which those objects survived, as during a warm-up. For an object that lives one request and
 * points at the request's young objects (the environ, a link left on `req`), the decision is
 * ruinous: the dead object stays until the next mark-compact, and all it points at survives every
 * scavenge and is promoted. A server then promotes kilobytes per request and spends a third of its
 * CPU in the collector. Objects made with `new` have no allocation site and are never pretenured.
 *
 * {@link youngAfterPretenuring} forces the decision V8 would reach on its own, with V8's test
 * natives, and reports whether `make` still allocates in the young generation.
 *
 * An object given many computed keys one by one (an environ's `HTTP_*` keys) may turn into a
 * dictionary: each store a hash insert, each read a lookup. {@link hasFastProperties} tells.
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

type Native = (value: unknown) => unknown

let natives:
  | {
      young: Native
      pretenure: Native
      prepare: Native
      optimize: Native
      fast: Native
      gc: () => void
    }
  | undefined

// Natives syntax is read when a function is compiled: the flag first, then `new Function`.
function loadNatives(): NonNullable<typeof natives> {
  if (natives !== undefined) return natives
  setFlagsFromString('--allow-natives-syntax')
  setFlagsFromString('--expose-gc')
  // A fresh context picks up --expose-gc: its `gc` collects the one heap of the isolate.
  const gc = runInNewContext('gc') as () => void
  setFlagsFromString('--no-expose-gc')
  // V8's test natives (%Name) exist only in code compiled from source after the flag.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const native = (body: string): Native => new Function('value', body) as Native
  natives = {
    young: native('return %InYoungGeneration(value)'),
    pretenure: native('return %PretenureAllocationSite(value)'),
    prepare: native('%PrepareFunctionForOptimization(value)'),
    optimize: native('%OptimizeFunctionOnNextCall(value)'),
    fast: native('return %HasFastProperties(value)'),
    gc,
  }
  return natives
}

/**
 * Whether `make` still allocates its object in the young generation after V8 was told to
 * pretenure the allocation site of one of its objects (if it has one) and `make` was optimized.
 * True for an object made with `new`; false for an object literal, whose site V8 can pretenure.
 *
 * `make` must be a function of its own (its optimized code is what is checked), that makes the
 * object itself rather than calling out to a function that does.
 */
export function youngAfterPretenuring(make: () => object): boolean {
  const { young, pretenure, prepare, optimize, gc } = loadNatives()
  prepare(make)
  // A literal carries its allocation site (a memento behind the object) once it has run a few
  // times.
  for (let i = 0; i < 16; i++) make()
  pretenure(make())
  // The decision is applied at the next collection, then to the code optimized after it.
  gc()
  optimize(make)
  return young(make()) === true
}

/** Whether V8 keeps `value`'s properties fast (not a dictionary). */
export function hasFastProperties(value: object): boolean {
  return loadNatives().fast(value) === true
}

/**
 * The CGI and extension keys `FetchHandler` puts in its environ: a base environ's keys, the
 * request's, `REMOTE_ADDR`, and the lazily made `wsgits.signal` and `wsgits.fetch_ctx`.
 *
 * @module
 */
import type { InputStream } from '@wsgi/core/types'

import type { FetchHandlerOptions } from '../fetch-handler.ts'
import { FETCH_CTX_KEY, FETCH_ENV_KEY } from '../types.ts'
import { offerRequest } from './original-request.ts'
import { addRequestCgiVars } from './request-environ.ts'

/** Keys the `Request` itself decides; a base environ's copies of them are left behind. */
function fromRequest(key: string): boolean {
  return key.startsWith('HTTP_') || key === 'CONTENT_TYPE' || key === 'CONTENT_LENGTH'
}

/** A setter that replaces an accessor key with a plain value (middleware may replace it). */
function setOwnValue(key: string): (this: object, value: unknown) => void {
  return function set(this: object, value: unknown): void {
    Object.defineProperty(this, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    })
  }
}

const SET_SIGNAL = setOwnValue('wsgits.signal')
const SET_CTX = setOwnValue(FETCH_CTX_KEY)

/**
 * How the lazy keys of an environ are made from its maker (a `FetchHandler`, which registers
 * them once with {@link setLazyKeys}: they reach its private state).
 */
export interface LazyKeys {
  /** `wsgits.signal`, made on first read. */
  signal(owner: object): AbortSignal
  /** `wsgits.fetch_ctx`, found on first read (only called with `options.lazyCtx`). */
  ctx(owner: object): unknown
}

function unregistered(): never {
  throw new Error('FetchHandler did not register its lazy keys')
}

let lazyKeys: LazyKeys = { signal: unregistered, ctx: unregistered }

/** Register how lazy keys are made (once, by `FetchHandler`). */
export function setLazyKeys(keys: LazyKeys): void {
  lazyKeys = keys
}

// Hands back the object it is given, so that a subclass's private field lands on that object.
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- the constructor is the point
class Stamp {
  constructor(target: object) {
    return target
  }
}

/**
 * The environ's maker, for the shared accessors below, as a private field of the environ: it
 * costs an ordinary property store (a non-enumerable symbol key needs `Object.defineProperty`,
 * about 100 ns per request), no copy of the environ takes it (`{ ...environ }` takes the values
 * the accessors give, not the link), and no reflection shows it.
 */
class LazyOwner extends Stamp {
  #owner: object

  private constructor(environ: object, owner: object) {
    super(environ)
    this.#owner = owner
  }

  /** Link `environ` to `owner` (again, for an environ a subclass's hook filled twice). */
  static link(environ: object, owner: object): void {
    if (#owner in environ) environ.#owner = owner
    else new LazyOwner(environ, owner)
  }

  /**
   * The maker of `environ`, or of the environ it inherits from (`Object.create(environ)`); a
   * `TypeError` for an accessor copied onto an object of its own.
   */
  static of(environ: object): object {
    for (
      let env: object | null = environ;
      env !== null;
      env = Object.getPrototypeOf(env) as object | null
    ) {
      if (#owner in env) return env.#owner
    }
    throw new TypeError('This environ key was copied from another environ; read it there')
  }
}

// One shared accessor pair per lazy key, finding the request through `this`. A getter made per
// request (a closure) would give every environ a map of its own, which V8 allocates in old
// space: each request's environ then outlived the next scavenge.
function getSignal(this: object): AbortSignal {
  return lazyKeys.signal(LazyOwner.of(this))
}

function getCtx(this: object): unknown {
  const ctx = lazyKeys.ctx(LazyOwner.of(this))
  SET_CTX.call(this, ctx)
  return ctx
}

const SIGNAL_DESCRIPTOR: PropertyDescriptor = {
  get: getSignal,
  set: SET_SIGNAL,
  enumerable: true,
  configurable: true,
}

const CTX_DESCRIPTOR: PropertyDescriptor = {
  get: getCtx,
  set: SET_CTX,
  enumerable: true,
  configurable: true,
}

/**
 * Add the CGI variables of `request` to `environ`, and the fetch extension keys; `owner` (the handler) makes
 * `wsgits.signal` (and, with `options.lazyCtx`, `wsgits.fetch_ctx`) when first read.
 */
export function addFetchCgiVars(
  environ: Record<string, unknown>,
  request: Request,
  options: FetchHandlerOptions,
  stdin: InputStream,
  owner: object,
): void {
  const base = options.baseEnviron
  if (base !== undefined) {
    for (const [key, value] of Object.entries(base)) if (!fromRequest(key)) environ[key] = value
  }
  addRequestCgiVars(environ, request, options.scriptName, options.url)
  const address = options.remoteAddress?.(request, options.env)
  if (address !== undefined) environ['REMOTE_ADDR'] = address
  // A fetch Request does not know its HTTP version; an enclosing gateway request does.
  if (typeof base?.['SERVER_PROTOCOL'] === 'string')
    environ['SERVER_PROTOCOL'] = base['SERVER_PROTOCOL']
  // The body ends by itself (fetch de-chunks it), so reading to EOF is safe without a length.
  environ['wsgi.input_terminated'] = true
  LazyOwner.link(environ, owner)
  Object.defineProperty(environ, 'wsgits.signal', SIGNAL_DESCRIPTOR)
  if (options.env !== undefined) environ[FETCH_ENV_KEY] = options.env
  offerRequest(environ, request, stdin)
  if (options.lazyCtx !== undefined) {
    Object.defineProperty(environ, FETCH_CTX_KEY, CTX_DESCRIPTOR)
  } else if (options.ctx !== undefined) {
    environ[FETCH_CTX_KEY] = options.ctx
  }
}

/**
 * The in-process stacks: each framework app called without a socket, through our `from*` bridge
 * (a gateway app called with an in-memory environ) and through light-my-request (the peer a user
 * picks for in-process calls; Fastify's own `inject()` is light-my-request).
 *
 * @module
 */
import { expressApp } from '../apps/express.mjs'
import { fastifyApp } from '../apps/fastify.mjs'
import { koaApp } from '../apps/koa.mjs'
import { callGateway, callInjected } from '../apps/call.mjs'

/** @typedef {import('./index.mjs').InProcess} InProcess */
/** @typedef {import('../apps/call.mjs').CallRequest} CallRequest */

/**
 * light-my-request over a Node listener.
 *
 * @param {import('node:http').RequestListener} listener
 * @returns {Promise<InProcess>}
 */
async function viaLightMyRequest(listener) {
  const { inject } = await import('light-my-request')
  return {
    call: (request) => callInjected((options) => inject(listener, options), request),
    close: async () => {},
  }
}

/**
 * Our gateway app, called in memory.
 *
 * @param {import('@wsgi/core').WSGIApplication} app
 * @returns {Promise<InProcess>}
 */
async function viaGateway(app) {
  const { setupTestingDefaults } = await import('@wsgi/core/util')
  return {
    call: (request) => callGateway(app, setupTestingDefaults, request),
    close: async () => {},
  }
}

/** @type {Record<string, () => Promise<InProcess>>} */
export const stacks = {
  'express-inject': () => viaLightMyRequest(expressApp()),
  'express-call': async () => {
    const { fromExpress } = await import('@wsgi/adapter-express')
    return viaGateway(fromExpress(expressApp()))
  },
  'koa-inject': () => viaLightMyRequest(koaApp().callback()),
  'koa-call': async () => {
    const { fromKoa } = await import('@wsgi/adapter-koa')
    return viaGateway(fromKoa(koaApp()))
  },
  'fastify-inject': async () => {
    const fastify = fastifyApp()
    await fastify.ready()
    return {
      call: (request) => callInjected((options) => fastify.inject(options), request),
      close: () => fastify.close(),
    }
  },
  'fastify-call': async () => {
    const { fromFastify } = await import('@wsgi/adapter-fastify')
    return viaGateway(fromFastify(fastifyApp()))
  },
}

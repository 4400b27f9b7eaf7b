/** Formatting: koa/fastify/hono style, hono's width. */
export default {
  semi: false,
  singleQuote: true,
  printWidth: 100,
  trailingComma: 'all',
}

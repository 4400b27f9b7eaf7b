/**
 * `express4` is the alias package of Express 4 (`npm:express@^4`), which ships no types. Express
 * 5's types describe everything the tests use of it.
 *
 * @module
 */
declare module 'express4' {
  import express from 'express'

  export default express
}

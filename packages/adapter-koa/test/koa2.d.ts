// Koa 2 is installed under the alias `koa2` for the tests; its API is typed like Koa 3's here
// (@types/koa describes both closely enough for what the tests use).
declare module 'koa2' {
  import Koa from 'koa'

  export default Koa
}

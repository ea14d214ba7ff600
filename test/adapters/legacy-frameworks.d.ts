// Express 4 and Koa 2 are installed under aliases so the case table runs on both majors.
// Their APIs that the tests use match the current @types packages.
declare module 'express4' {
  import express from 'express'
  export default express
}
declare module 'koa2' {
  import Koa from 'koa'
  export default Koa
}

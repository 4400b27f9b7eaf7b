// examples/app.js: a gateway app as the module's default export, for `wsgi serve app.js`.

/** @type {import('@wsgi/core/types').WSGIApplication} */
export default async function app(environ, startResponse) {
  // wsgi.input is the request body; read at most CONTENT_LENGTH bytes of it.
  const body = await environ['wsgi.input'].read(Number(environ.CONTENT_LENGTH || 0))
  startResponse('200 OK', [['Content-Type', 'text/plain; charset=utf-8']])
  const text = `${environ.REQUEST_METHOD} ${environ.PATH_INFO}: ${body.length} bytes\n`
  return [new TextEncoder().encode(text)]
}
// wsgi serve app.js --workers 2
// curl -d 'hi there' localhost:8000/echo  ->  POST /echo: 8 bytes

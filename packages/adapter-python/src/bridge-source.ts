/**
 * The Python half of the bridge, run once per interpreter: it builds the PEP 3333 environ as a
 * real `dict`, gives the application a Python `start_response`, and steps the response iterable
 * one chunk per call from JavaScript. Kept as Python so every WSGI type the app sees is native.
 *
 * @module
 */

/** Python source defining `load_app`, `make_call` and the stream classes. */
export const BRIDGE_SOURCE: string = String.raw`
import importlib, io, sys, warnings
from wsgiref.util import FileWrapper


class ErrorStream:
    """wsgi.errors: text written through to the server's error stream (a JavaScript object)."""

    def __init__(self, js_errors):
        self._js = js_errors

    def write(self, s):
        self._js.write(s)

    def writelines(self, seq):
        for s in seq:
            self._js.write(s)

    def flush(self):
        self._js.flush()


def load_app(spec, validate):
    # gunicorn's form: "module:callable", the callable defaulting to "application".
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    app = module
    for part in (attr or "application").split("."):
        app = getattr(app, part)
    if validate:
        from wsgiref.validate import WSGIWarning, validator

        # The validator's findings must fail the request, not scroll by as a warning.
        warnings.simplefilter("error", WSGIWarning)
        app = validator(app)
    return app


class Call:
    """One request: call the app, then hand its body out one chunk per next_chunk()."""

    def __init__(self, app, cgi, body, js_start_response, js_errors, multiprocess, run_once):
        environ = dict(cgi.to_py())
        environ["wsgi.version"] = (1, 0)
        environ["wsgi.url_scheme"] = environ.get("wsgi.url_scheme", "http")
        data = body.to_bytes()
        environ["wsgi.input"] = io.BytesIO(data)
        # The body is whole in memory: a chunked one gets the length it turned out to have, so
        # apps that read CONTENT_LENGTH bytes (werkzeug, the validator's read(size)) see it all.
        if data and not environ.get("CONTENT_LENGTH"):
            environ["CONTENT_LENGTH"] = str(len(data))
        environ["wsgi.errors"] = ErrorStream(js_errors)
        environ["wsgi.multithread"] = False
        environ["wsgi.multiprocess"] = bool(multiprocess)
        environ["wsgi.run_once"] = bool(run_once)
        environ["wsgi.file_wrapper"] = FileWrapper
        self._app = app
        self._environ = environ
        self._js_start_response = js_start_response
        self._pending = []  # bytes given to write(), sent before the next body chunk
        self._result = None
        self._iterator = None
        self._closed = False

    def _write(self, data):
        if not isinstance(data, bytes):
            raise TypeError("write() argument must be a bytes instance")
        self._pending.append(data)

    def _start_response(self, status, headers, exc_info=None):
        from js import Error
        from pyodide.ffi import JsException, to_js

        js_headers = to_js([list(h) if isinstance(h, tuple) else h for h in headers])
        if exc_info:
            try:
                try:
                    self._js_start_response(status, js_headers, Error.new(repr(exc_info[1])))
                    return self._write
                except JsException:
                    pass
                # Headers already sent: PEP 3333 says re-raise the application's own error,
                # raised outside the except block so its log shows no JsException context.
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        else:
            self._js_start_response(status, js_headers)
        return self._write

    def start(self):
        self._result = self._app(self._environ, self._start_response)
        self._iterator = iter(self._result)

    def next_chunk(self):
        """The next bytes to send (writes first), or None at the end."""
        if self._pending:
            return self._pending.pop(0)
        try:
            chunk = next(self._iterator)
        except StopIteration:
            return self._pending.pop(0) if self._pending else None
        if self._pending:
            self._pending.append(chunk)
            return self._pending.pop(0)
        return chunk

    def close(self):
        if self._closed:
            return
        self._closed = True
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


# Module-level entry points: JavaScript holds one proxy to each for the interpreter's life, and
# never a proxy to a bound method (one per call, left to the garbage collector).
def call_start(call):
    call.start()


def call_next(call):
    return call.next_chunk()


def call_close(call):
    call.close()
`

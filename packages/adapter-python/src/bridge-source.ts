/**
 * The Python half of the bridge, run once per interpreter: it builds the PEP 3333 environ as a
 * real `dict`, gives the application a Python `start_response` and a `wsgi.input` that blocks on
 * the host (the worker's synchronous calls to the main thread), and steps the response iterable
 * one chunk per call from JavaScript. Kept as Python so every WSGI type the app sees is native.
 *
 * @module
 */

/** Python source defining `load_app`, `make_call` and the stream classes. */
export const BRIDGE_SOURCE: string = String.raw`
import importlib, io, sys, warnings
from wsgiref.util import FileWrapper

from pyodide.ffi import JsException, to_js

# WINDOW (set by the worker, READ_WINDOW of interpreter.ts): the most bytes one read asks the
# host for, the window the main thread reads from the client.


class ErrorStream:
    """wsgi.errors: text written through to the server's error stream (on the main thread)."""

    def __init__(self, host):
        self._host = host

    def write(self, s):
        self._host.errors_write(s)

    def writelines(self, seq):
        for s in seq:
            self._host.errors_write(s)

    def flush(self):
        self._host.errors_flush()


class Input(io.RawIOBase):
    """The raw request body: each readinto() blocks until the main thread has read that many
    bytes (at most) from the client, so nothing is read before Python asks for it."""

    def __init__(self, host):
        self._host = host

    def readable(self):
        return True

    def readinto(self, buffer):
        view = memoryview(buffer).cast("B")
        try:
            data = self._host.read(min(len(view), WINDOW))
        except JsException as error:
            # The client went away, or the body broke: the main thread keeps the error itself.
            raise OSError(str(error)) from None
        size = data.length
        if size:
            data.assign_to(view[:size])
        return size


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

    def __init__(self, app, cgi, host, multiprocess, run_once):
        environ = dict(cgi.to_py())
        environ["wsgi.version"] = (1, 0)
        environ["wsgi.url_scheme"] = environ.get("wsgi.url_scheme", "http")
        # Buffered for readline() and iteration; read(n) returns n bytes unless the body ends.
        environ["wsgi.input"] = io.BufferedReader(Input(host), WINDOW)
        if not environ.get("CONTENT_LENGTH"):
            # A body of unknown length (chunked) ends with EOF on wsgi.input: say so, so that
            # frameworks (werkzeug) read it to the end instead of taking it for empty.
            environ["wsgi.input_terminated"] = True
        environ["wsgi.errors"] = ErrorStream(host)
        environ["wsgi.multithread"] = False
        environ["wsgi.multiprocess"] = bool(multiprocess)
        environ["wsgi.run_once"] = bool(run_once)
        environ["wsgi.file_wrapper"] = FileWrapper
        self._app = app
        self._environ = environ
        self._host = host
        self._result = None
        self._iterator = None
        self._closed = False

    def _write(self, data):
        if not isinstance(data, bytes):
            raise TypeError("write() argument must be a bytes instance")
        # Sent now, through the server's write(): the worker waits until the server took it, so
        # an app writing much is slowed down to the client's pace.
        refused = self._host.write(data)
        if refused is not None:
            raise OSError(refused)

    def _start_response(self, status, headers, exc_info=None):
        js_headers = to_js([list(h) if isinstance(h, tuple) else h for h in headers])
        if exc_info:
            try:
                refused = self._host.start_response(status, js_headers, repr(exc_info[1]))
                if refused is None:
                    return self._write
                # Headers already sent: PEP 3333 says re-raise the application's own error.
                raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        refused = self._host.start_response(status, js_headers, None)
        if refused is not None:
            # The main thread keeps the server's own error (its code) and answers with it.
            raise RuntimeError(refused)
        return self._write

    def start(self):
        self._result = self._app(self._environ, self._start_response)
        self._iterator = iter(self._result)

    def next_chunk(self):
        """The next chunk of the body, or None at the end."""
        try:
            return next(self._iterator)
        except StopIteration:
            return None

    def close(self):
        if self._closed:
            return
        self._closed = True
        close = getattr(self._result, "close", None)
        if close is not None:
            close()


def call_start(call):
    call.start()


def call_next(call):
    return call.next_chunk()


def call_close(call):
    call.close()
`

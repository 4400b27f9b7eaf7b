"""The benchmark's Flask app: the hello and echo workloads (bench/src/workloads.mjs), as a Flask
user writes them. The same file runs everywhere: inside Pyodide through fromPython, on Python's
own wsgiref.simple_server and on gunicorn.

`app` answers /hello and /echo (Express mounts it at /m itself); `mounted` is the same app below
/m (werkzeug's DispatcherMiddleware, as the adapter's tests use), for the Python servers, which
have no mount of their own.
"""
from flask import Flask, Response, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

HELLO = b"Hello, World!"

app = Flask(__name__)


@app.get("/hello")
def hello():
    return Response(HELLO, content_type="text/plain; charset=utf-8")


@app.post("/echo")
def echo():
    return Response(request.get_data(), content_type="application/octet-stream")


def _not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"Not Found\n"]


mounted = DispatcherMiddleware(_not_found, {"/m": app})

"""`mounted` of bench_flask on Python's own wsgiref.simple_server, quiet, on 127.0.0.1.

Usage: python3 wsgiref_server.py path...   (paths are put first on sys.path)
Prints the port, then serves until killed.
"""
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

sys.path[:0] = sys.argv[1:]
from bench_flask import mounted  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    # An access log line per request would cost the reference what ours do not pay.
    def log_message(self, *args):
        pass


class Server(WSGIServer):
    # socketserver's listen backlog is 5: with the bench's 50 connections, each reconnecting for
    # every request, the kernel would drop connection attempts and the client wait a second to
    # retry. gunicorn's backlog is 2048; the same here, so both wait on Python, not on SYNs.
    request_queue_size = 2048


server = make_server("127.0.0.1", 0, mounted, server_class=Server, handler_class=QuietHandler)
print(server.server_port, flush=True)
server.serve_forever()

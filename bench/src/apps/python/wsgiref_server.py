"""`mounted` of bench_flask on Python's own wsgiref.simple_server, quiet, on 127.0.0.1.

Usage: python3 wsgiref_server.py path...   (paths are put first on sys.path)
Prints the port, then serves until killed.
"""
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server

sys.path[:0] = sys.argv[1:]
from bench_flask import mounted  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    # An access log line per request would cost the reference what ours do not pay.
    def log_message(self, *args):
        pass


server = make_server("127.0.0.1", 0, mounted, handler_class=QuietHandler)
print(server.server_port, flush=True)
server.serve_forever()

"""`wopr serve`'s server on a folder, in a thread, for the tests and benchmarks."""
import threading
from contextlib import contextmanager

from wopr.web.server import make_server


@contextmanager
def wopr_server(folder, **options):
    """The server (its url: wopr.web.server.url_of) while the block runs; options as make_server takes them."""
    server = make_server(folder, port=0, **options)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

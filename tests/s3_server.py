"""A real S3-protocol server for tests: moto's threaded server on a free local port."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer


@contextmanager
def running_s3_server() -> Iterator[str]:
    """Yield the endpoint ``"127.0.0.1:PORT"`` (any access/secret key is accepted; use a unique bucket)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"{host}:{port}"
    finally:
        server.stop()

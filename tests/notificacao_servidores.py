"""Real local servers notifications go to in tests: an SMTP server (aiosmtpd) that can go down and come back on
the same port, and an HTTP server that records webhook calls."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def porta_livre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServidorSmtp:
    """``ligar()`` / ``desligar()`` on a fixed port; ``mensagens`` keeps every e-mail received, across restarts.
    With ``senha``, AUTH LOGIN/PLAIN accepts only that password."""

    def __init__(self, senha: str | None = None):
        self.porta = porta_livre()
        self.senha = senha
        self.mensagens: list = []
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler hook
        with self._lock:
            self.mensagens.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"

    def _autenticar(self, server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.password.decode() == self.senha, handled=False)

    def ligar(self) -> None:
        opcoes = {"authenticator": self._autenticar, "auth_require_tls": False} if self.senha else {}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.porta, **opcoes)
        self._controller.start()

    def desligar(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def ids(self) -> list[str]:
        with self._lock:
            return [m["Message-ID"] for m in self.mensagens]


class ServidorWebhook:
    """Records ``(path, json)`` of every POST; answers 200."""

    def __init__(self):
        self.chamadas: list[tuple[str, dict]] = []
        registro = self.chamadas

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self):
                corpo = self.rfile.read(int(self.headers["Content-Length"]))
                registro.append((self.path, json.loads(corpo)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._servidor = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._servidor.server_address[1]}"

    @contextlib.contextmanager
    def no_ar(self):
        thread = threading.Thread(target=self._servidor.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._servidor.shutdown()
            self._servidor.server_close()

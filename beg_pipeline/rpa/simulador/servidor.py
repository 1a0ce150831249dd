"""The simulator object: lifecycle (HTTP server and scheduler threads) and the helpers tests and the CLI use."""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import threading
import time
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from beg_pipeline.rpa.simulador.agendador import Agendador
from beg_pipeline.rpa.simulador.config import SimuladorConfig
from beg_pipeline.rpa.simulador.faturas import PortalSimulado
from beg_pipeline.rpa.simulador.jobs import JobSimulado
from beg_pipeline.rpa.simulador.rotas import Rotas, _Handler

if TYPE_CHECKING:
    from beg_pipeline.settings import Settings
    from beg_pipeline.storage.base import ObjectStore

log = logging.getLogger("beg_pipeline.rpa.simulador")


class _Servidor(ThreadingHTTPServer):
    """Keeps track of open connections so ``stop()`` can close idle keep-alive ones. The listen backlog is a
    server's usual 128, not socketserver's 5: with 5, a burst of connections (a batch opening one per robot) lost
    SYNs, and each lost one cost its client the kernel's 1 s retransmit before the job could even be submitted."""

    daemon_threads = True
    request_queue_size = 128

    def __init__(self, endereco: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        self.conexoes: set[socket.socket] = set()
        self._lock_conexoes = threading.Lock()
        super().__init__(endereco, handler)

    def process_request(self, request, client_address):  # noqa: ANN001 - socketserver signature
        with self._lock_conexoes:
            self.conexoes.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):  # noqa: ANN001
        with self._lock_conexoes:
            self.conexoes.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request, client_address):  # noqa: ANN001 - clients that vanish are routine here
        log.debug("simulador: conexão de %s encerrada com erro", client_address, exc_info=True)

    def fechar_conexoes(self) -> None:
        with self._lock_conexoes:
            abertas = list(self.conexoes)
        for conexao in abertas:
            with contextlib.suppress(OSError):
                conexao.shutdown(socket.SHUT_RDWR)


class Simulador(Rotas, Agendador, PortalSimulado):
    """The simulated RPA API. ``with Simulador(cfg, token=..., object_store=...) as sim: sim.base_url``.

    Its jobs are ``Agendador``'s, its HTTP answers ``Rotas``', the portals' outcomes ``PortalSimulado``'s."""

    def __init__(
        self,
        config: SimuladorConfig | None = None,
        settings: Settings | None = None,
        *,
        token: str | None = None,
        object_store: ObjectStore | None = None,
        bucket: str | None = None,
    ):
        if settings is not None:
            from beg_pipeline.seguranca import rpa_token
            from beg_pipeline.storage.factory import object_store_from_settings

            token = token or rpa_token(settings)
            object_store = object_store or object_store_from_settings(settings)
            bucket = bucket or settings.s3_bucket
        if not token or object_store is None:
            raise ValueError("Simulador precisa de settings ou de token e object_store")
        self.config = config or SimuladorConfig()
        self.bucket = bucket or getattr(object_store, "bucket", "beg")
        self._token = token
        self._store = object_store
        self._rng = random.Random(self.config.semente)
        self._cond = threading.Condition(threading.RLock())
        self._fila: deque[JobSimulado] = deque()
        self._rodando: list[JobSimulado] = []
        self._tentativas_cnpj: Counter[str] = Counter()
        self._parar = False
        self._servidor: _Servidor | None = None
        self._threads: list[threading.Thread] = []
        self._preparo: ThreadPoolExecutor | None = None
        self.base_url: str | None = None
        self.jobs: dict[str, JobSimulado] = {}
        self.submissoes_por_processo: Counter[str] = Counter()  # jobs created per processo_id ("SAT/<id>" for SAT)
        self.falhas: Counter[str] = Counter()
        self.requisicoes: Counter[str] = Counter()
        self.em_voo: Counter[str] = Counter()  # jobs PENDING or RUNNING per carrier
        self.max_em_voo = 0  # the most jobs in flight ever seen, in all and per carrier
        self.max_em_voo_por_operadora: Counter[str] = Counter()

    def __repr__(self) -> str:
        return f"Simulador({self.base_url or 'parado'}, token=<oculto>)"

    # ------------------------------------------------------------------ lifecycle

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in background threads; returns the base URL."""
        simulador = self

        class Handler(_Handler):
            sim = simulador

        self._parar = False
        self._preparo = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sim-rpa-pdf")
        self._servidor = _Servidor((host, port), Handler)
        self.base_url = f"http://{host}:{self._servidor.server_address[1]}"
        self._threads = [
            threading.Thread(target=self._servidor.serve_forever, kwargs={"poll_interval": 0.1}, name="sim-rpa-http",
                             daemon=True),
            threading.Thread(target=self._agendador, name="sim-rpa-agendador", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        log.info("simulador do robô em %s", self.base_url)
        return self.base_url

    def stop(self) -> None:
        with self._cond:
            self._parar = True
            self._cond.notify_all()
        if self._servidor is not None:
            self._servidor.shutdown()
            self._servidor.fechar_conexoes()
            self._servidor.server_close()
            self._servidor = None
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads = []
        if self._preparo is not None:
            self._preparo.shutdown(cancel_futures=True)
            self._preparo = None

    def __enter__(self) -> Simulador:
        if self._servidor is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ helpers for tests and CLI

    def _sortear(self, taxa: float) -> bool:
        if taxa <= 0:
            return False
        with self._cond:
            return self._rng.random() < taxa

    def contar(self, status: str) -> int:
        with self._cond:
            return sum(1 for job in self.jobs.values() if job.status == status)

    def aguardar(self, condicao: Any, timeout: float = 10.0) -> bool:
        """Wait until ``condicao(self)`` holds (checked whenever a job changes state)."""
        limite = time.monotonic() + timeout
        with self._cond:
            while not condicao(self):
                restante = limite - time.monotonic()
                if restante <= 0:
                    return False
                self._cond.wait(min(restante, 0.5))
            return True

    def _contar_falha(self, tipo: str) -> None:
        with self._cond:
            self.falhas[tipo] += 1

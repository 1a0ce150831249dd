"""The simulator's HTTP side: routing of every contract endpoint, injected HTTP faults, answers and resets."""

from __future__ import annotations

import hmac
import json
import logging
import socket
import struct
import threading
import time
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import ValidationError

from beg_pipeline.rpa.contrato import PedidoDownload, PedidoSat
from beg_pipeline.rpa.simulador.jobs import JobSimulado, agora_iso

if TYPE_CHECKING:
    from beg_pipeline.rpa.simulador.config import SimuladorConfig
    from beg_pipeline.rpa.simulador.servidor import Simulador
    from beg_pipeline.storage.base import ObjectStore

log = logging.getLogger("beg_pipeline.rpa.simulador")


class _Resposta(Exception):
    """Raised inside a route to answer immediately."""

    def __init__(self, codigo: int, corpo: Any, cabecalhos: dict[str, str] | None = None):
        super().__init__(codigo)
        self.codigo, self.corpo, self.cabecalhos = codigo, corpo, cabecalhos or {}


class _Reset(Exception):
    """Raised inside a route to drop the connection with a TCP reset."""


class Rotas:
    """Mixin of ``Simulador``: answers one HTTP request (``_atender``, called by ``_Handler``)."""

    config: SimuladorConfig
    jobs: dict[str, JobSimulado]
    requisicoes: Counter[str]
    _token: str
    _store: ObjectStore
    _cond: threading.Condition
    _fila: deque[JobSimulado]
    _rodando: list[JobSimulado]

    def _atender(self, h: _Handler, metodo: str) -> None:
        partes = urlsplit(h.path)
        caminho = unquote(partes.path).rstrip("/") or "/"
        tamanho = int(h.headers.get("Content-Length") or 0)
        corpo = h.rfile.read(tamanho) if tamanho else b""
        segmentos = caminho.strip("/").split("/")
        rota = f"{metodo} /{segmentos[0]}" if segmentos[0] else f"{metodo} /"
        with self._cond:
            self.requisicoes[rota] += 1
        if self.config.rtt_s:
            time.sleep(self.config.rtt_s)  # the network, outside any lock: each connection has its own thread
        cabecalhos: dict[str, str] = {}
        try:
            codigo, resposta, json_sujeito = self._rotear(h, metodo, segmentos, partes.query, corpo)
        except _Resposta as pronta:
            codigo, resposta, json_sujeito, cabecalhos = pronta.codigo, pronta.corpo, False, pronta.cabecalhos
        except _Reset:
            self._resetar(h)
            return
        except Exception:
            log.exception("simulador: erro ao atender %s %s", metodo, caminho)
            codigo, resposta, json_sujeito = 500, {"detail": "Internal Server Error"}, False
        try:
            self._responder(h, codigo, resposta, cabecalhos, json_sujeito=json_sujeito)
        except OSError:  # the client gave up (its read timeout) and closed the connection
            h.close_connection = True

    def _rotear(self, h: _Handler, metodo: str, seg: list[str], query: str, corpo: bytes) -> tuple[int, Any, bool]:
        """(status code, body, whether a malformed-JSON fault may hit it)."""
        cfg = self.config
        if metodo == "GET" and seg == ["health"]:
            with self._cond:
                pendentes, ativos = len(self._fila), len(self._rodando)
            saude = {"status": "healthy", "message": "Simulador BEG do robô", "jobs_pending": pendentes,
                     "jobs_active": ativos}
            return 200, saude, False
        if not hmac.compare_digest(h.headers.get("Authorization", "").encode(), f"Bearer {self._token}".encode()):
            raise _Resposta(401, {"detail": "Not authenticated"}, {"WWW-Authenticate": "Bearer"})
        if self._sortear(cfg.taxa_429):
            self._contar_falha("429")
            raise _Resposta(429, {"detail": "Too Many Requests"}, {"Retry-After": str(cfg.retry_after_s)})
        resetar = self._sortear(cfg.taxa_reset)
        if metodo == "POST" and len(seg) == 2 and seg[0] == "executar":
            return self._submeter(h, seg[1], corpo, resetar)
        if resetar:
            self._contar_falha("reset")
            raise _Reset
        if metodo == "GET" and len(seg) >= 2 and seg[0] == "arquivos":
            return self._arquivo("/".join(seg[1:]))
        if metodo == "GET" and len(seg) == 2 and seg[0] == "status":
            self._falha_status()
            return 200, self._com_job(seg[1], self._visao), True
        if metodo == "GET" and len(seg) == 3 and seg[0] == "jobs" and seg[2] == "logs":
            self._falha_status()
            return 200, self._com_job(seg[1], self._logs), True
        if metodo == "GET" and seg == ["jobs"]:
            self._falha_status()
            try:
                limite = max(1, min(1000, int((parse_qs(query).get("limit") or ["50"])[0])))
            except ValueError:
                erro = {"loc": ["query", "limit"], "msg": "inteiro", "type": "int_parsing"}
                raise _Resposta(422, {"detail": [erro]}) from None
            with self._cond:
                recentes = list(self.jobs.values())[-limite:][::-1]  # insertion order = creation order
                return 200, [job.resumo() for job in recentes], True
        if metodo == "DELETE" and len(seg) == 2 and seg[0] == "jobs":
            return self._cancelar(seg[1])
        raise _Resposta(404, {"detail": "Not Found"})

    def _falha_status(self) -> None:
        if self._sortear(self.config.falha_5xx_status):
            self._contar_falha("5xx_status")
            raise _Resposta(500, {"detail": "Internal Server Error"})

    def _com_job(self, job_id: str, visao: Any) -> Any:
        with self._cond:
            job = self.jobs.get(job_id)
            if job is None:
                raise _Resposta(404, {"detail": f"Job {job_id} não encontrado"})
            return visao(job)

    def _submeter(self, h: _Handler, alvo: str, corpo: bytes, resetar: bool) -> tuple[int, Any, bool]:
        cfg = self.config
        sat = alvo.lower() == "sat"
        operadora = alvo.upper()
        if not sat and operadora not in cfg.operadoras:
            raise _Resposta(404, {"detail": f"Operadora {operadora} não possui robô"})
        try:
            dados = json.loads(corpo or b"null")
            pedido = (PedidoSat if sat else PedidoDownload).model_validate(dados)
        except ValueError as exc:  # JSONDecodeError and ValidationError; never echo the input
            erros = (exc.errors() if isinstance(exc, ValidationError)
                     else [{"loc": (), "msg": "JSON inválido", "type": "json_invalid"}])
            detalhe = [{"loc": ["body", *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in erros]
            raise _Resposta(422, {"detail": detalhe}) from None
        if self._sortear(cfg.falha_5xx_submit):
            self._contar_falha("5xx_submit")
            raise _Resposta(500, {"detail": "Internal Server Error"})
        if resetar and not self._sortear(cfg.reset_apos_criar):
            self._contar_falha("reset")
            raise _Reset
        job = self._criar(pedido, pedido.operadora.upper() if sat else operadora, h.headers.get("Host"))
        if resetar:
            self._contar_falha("reset_apos_criar")
            raise _Reset
        if cfg.atraso_submit_s:
            time.sleep(cfg.atraso_submit_s)
        resposta = {"job_id": job.job_id, "status": "PENDING", "message": "Job criado",
                    "status_url": f"/status/{job.job_id}"}
        return cfg.status_aceite, resposta, True

    def _cancelar(self, job_id: str) -> tuple[int, Any, bool]:
        with self._cond:
            job = self.jobs.get(job_id)
            if job is None:
                raise _Resposta(404, {"detail": f"Job {job_id} não encontrado"})
            if job.status not in ("PENDING", "RUNNING"):
                raise _Resposta(409, {"detail": f"Job {job_id} já terminou ({job.status})"})
            if job in self._fila:
                self._fila.remove(job)
            if job in self._rodando:
                self._rodando.remove(job)
            if job.pdf is not None:
                job.pdf.cancel()
            self._em_voo(job, -1)
            job.status, job.completed_at = "CANCELLED", agora_iso()
            job.registrar("Job cancelado", "WARNING")
            self._cond.notify_all()
        return 200, {"job_id": job_id, "status": "CANCELLED", "message": "Job cancelado"}, False

    def _arquivo(self, chave: str) -> tuple[int, Any, bool]:
        from beg_pipeline.storage.base import ChaveInvalida, ObjetoNaoEncontrado

        try:
            dados = self._store.get(chave)
        except (ObjetoNaoEncontrado, ChaveInvalida):
            raise _Resposta(404, {"detail": "Arquivo não encontrado"}) from None
        if self.config.atraso_pdf_s:
            self._contar_falha("atraso_pdf")
            time.sleep(self.config.atraso_pdf_s)
        return 200, dados, False

    def _responder(
        self, h: _Handler, codigo: int, corpo: Any, cabecalhos: dict[str, str] | None = None, *,
        json_sujeito: bool = False,
    ) -> None:
        """Write the answer; bytes go as PDF, the rest as JSON (truncated when a malformed-JSON fault hits)."""
        if isinstance(corpo, bytes):
            dados, tipo = corpo, "application/pdf"
        else:
            dados, tipo = json.dumps(corpo, ensure_ascii=False).encode(), "application/json"
            if json_sujeito and self._sortear(self.config.taxa_json_malformado):
                self._contar_falha("json_malformado")
                dados = dados[: max(1, len(dados) // 2)] + b"<!-- erro -->"
        h.send_response(codigo)
        h.send_header("Content-Type", tipo)
        h.send_header("Content-Length", str(len(dados)))
        for nome, valor in (cabecalhos or {}).items():
            h.send_header(nome, valor)
        h.end_headers()
        h.wfile.write(dados)

    @staticmethod
    def _resetar(h: _Handler) -> None:
        h.close_connection = True
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BEGSimuladorRPA/1.0"
    timeout = 60  # idle keep-alive connections are dropped after a minute
    disable_nagle_algorithm = True  # headers and body go in separate writes: avoid 40 ms delayed-ACK stalls
    sim: Simulador

    def do_GET(self) -> None:
        self.sim._atender(self, "GET")

    def do_POST(self) -> None:
        self.sim._atender(self, "POST")

    def do_DELETE(self) -> None:
        self.sim._atender(self, "DELETE")

    def log_message(self, formato: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), formato % args)

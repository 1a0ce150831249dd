"""Local simulator of the RPA robot API: the whole contract over real HTTP, with injectable faults.

Jobs wait in a FIFO (``PENDING``) until one of ``capacidade`` robot slots is free, run for
``latencia_s ± jitter_s`` seconds (a background scheduler thread sleeps until the next job is due)
and finish as the configured scripts say. A download's PDF is generated while its job runs, so the
simulator's own work does not lengthen the latency it simulates. Completed downloads leave a real invoice PDF in the
object store under ``robo/<OPERADORA>/<AAAA-MM>/<job_id>.pdf``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import random
import socket
import struct
import threading
import time
import uuid
from collections import Counter, deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from beg_pipeline.faturas.pdf_fatura import DadosFatura, formatar_moeda, gerar_pdf_fatura
from beg_pipeline.rpa.contrato import OPERADORAS_CONHECIDAS, PedidoDownload, PedidoSat

if TYPE_CHECKING:
    from beg_pipeline.settings import Settings
    from beg_pipeline.storage.base import ObjectStore

log = logging.getLogger("beg_pipeline.rpa.simulador")

Taxa = Annotated[float, Field(ge=0.0, le=1.0)]
_FORMATOS_ARQUIVO = ("s3", "chave", "http")
_FORMATOS_VALOR = ("numero", "texto", "br", "ausente")
_FORMATOS_DATA = ("br", "br_hifen", "iso", "ausente")
_NAO_PDF = b"<html><body><h1>Sessao expirada</h1><p>Faca login novamente.</p></body></html>"


class SimuladorConfig(BaseModel):
    """Behaviour of the simulated robots. Rates are probabilities per request (or per job)."""

    model_config = ConfigDict(extra="forbid")

    latencia_s: float = Field(default=5.0, ge=0)
    jitter_s: float = Field(default=2.0, ge=0)
    capacidade: int = Field(default=5, gt=0)
    operadoras: set[str] = Field(default_factory=lambda: set(OPERADORAS_CONHECIDAS))
    status_aceite: Literal[200, 202] = 200

    falha_5xx_submit: Taxa = 0.0
    falha_5xx_status: Taxa = 0.0  # status, logs and job list
    taxa_429: Taxa = 0.0
    retry_after_s: int = Field(default=1, ge=0)
    taxa_reset: Taxa = 0.0
    reset_apos_criar: Taxa = 0.5  # share of submit resets that happen after the job was created
    taxa_job_travado: Taxa = 0.0
    taxa_json_malformado: Taxa = 0.0
    atraso_submit_s: float = Field(default=0.0, ge=0)  # the job exists, the answer comes late
    atraso_pdf_s: float = Field(default=0.0, ge=0)
    taxa_arquivo_nao_pdf: Taxa = 0.0

    formato_arquivo: Literal["s3", "chave", "http", "misto"] = "s3"
    formato_valor: Literal["numero", "texto", "br", "ausente", "misto"] = "numero"
    formato_data: Literal["br", "br_hifen", "iso", "ausente", "misto"] = "br"

    credenciais_invalidas: set[str] = Field(default_factory=set)
    nao_publicada_ate: dict[str, int] = Field(default_factory=dict)
    eco_senha_no_erro: bool = False
    razao_social: dict[str, str] = Field(default_factory=dict)
    semente: int | None = None


def _agora() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _formato(opcao: str, opcoes: tuple[str, ...], indice: int) -> str:
    return opcoes[indice % len(opcoes)] if opcao == "misto" else opcao


def dados_da_fatura(operadora: str, cnpj: str, filtro: str, razao_social: str | None = None) -> DadosFatura:
    """The invoice a portal would show for ``cnpj`` + ``filtro``: amount, month and due date derived
    deterministically from them."""
    h = int.from_bytes(hashlib.sha256(f"{cnpj}|{filtro}".encode()).digest()[:8], "big")
    mes = 1 + h % 12
    ano = 2026
    venc_ano, venc_mes = (ano + 1, 1) if mes == 12 else (ano, mes + 1)
    return DadosFatura(
        operadora=operadora,
        razao_social=razao_social or f"CLIENTE {cnpj}",
        cnpj=cnpj,
        mes_ano=f"{mes:02d}/{ano}",
        valor=Decimal(10_000 + (h >> 8) % 990_000) / 100,
        vencimento=dt.date(venc_ano, venc_mes, 5 + (h >> 32) % 23),
        filtro=filtro,
    )


@dataclass
class JobSimulado:
    job_id: str
    indice: int
    operadora: str
    pedido: PedidoDownload | PedidoSat
    tentativa: int
    duracao_s: float
    travado: bool
    base_url: str
    status: str = "PENDING"
    created_at: str = field(default_factory=_agora)
    started_at: str | None = None
    completed_at: str | None = None
    inicio: float | None = None
    finalizando: bool = False
    buscando: bool = False
    result: dict[str, Any] | None = None
    error: str | None = None
    pdf: Future | None = None  # the invoice PDF, generated while the job runs
    logs: list[dict[str, str]] = field(default_factory=list)

    @property
    def sat(self) -> bool:
        return isinstance(self.pedido, PedidoSat)

    def registrar(self, mensagem: str, nivel: str = "INFO") -> None:
        self.logs.append(
            {"timestamp": _agora(), "level": nivel, "message": mensagem, "job_id": self.job_id, "operadora": self.operadora}
        )

    def resumo(self) -> dict[str, Any]:
        return {
            "job_id": self.job_id,
            "operadora": self.operadora,
            "status": self.status,
            "created_at": self.created_at,
            "processo_id": self.pedido.processo_id,
        }


class _Servidor(ThreadingHTTPServer):
    """Keeps track of open connections so ``stop()`` can close idle keep-alive ones."""

    daemon_threads = True

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
            try:
                conexao.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Resposta(Exception):
    """Raised inside a route to answer immediately."""

    def __init__(self, codigo: int, corpo: Any, cabecalhos: dict[str, str] | None = None):
        super().__init__(codigo)
        self.codigo, self.corpo, self.cabecalhos = codigo, corpo, cabecalhos or {}


class _Reset(Exception):
    """Raised inside a route to drop the connection with a TCP reset."""


class Simulador:
    """The simulated RPA API. ``with Simulador(cfg, token=..., object_store=...) as sim: sim.base_url``."""

    def __init__(
        self,
        config: SimuladorConfig | None = None,
        settings: "Settings | None" = None,
        *,
        token: str | None = None,
        object_store: "ObjectStore | None" = None,
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
            threading.Thread(target=self._servidor.serve_forever, kwargs={"poll_interval": 0.1}, name="sim-rpa-http", daemon=True),
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

    def __enter__(self) -> "Simulador":
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

    # ------------------------------------------------------------------ scheduler

    def _agendador(self) -> None:
        while True:
            with self._cond:
                if self._parar:
                    return
                agora = time.monotonic()
                self._ocupar_vagas(agora)
                vencidos = [
                    j for j in self._rodando if not j.finalizando and not j.travado and j.inicio + j.duracao_s <= agora
                ]
                for job in vencidos:
                    job.finalizando = True
                if not vencidos:
                    prazos = [
                        j.inicio + j.duracao_s for j in self._rodando if not j.finalizando and not j.travado
                    ]
                    self._cond.wait(max(0.0, min(prazos) - agora) if prazos else None)
                    continue
            for job in vencidos:
                self._finalizar(job)

    def _ocupar_vagas(self, agora: float) -> None:
        """Start queued jobs while robot slots are free (called with the lock held)."""
        while not self._parar and self._fila and len(self._rodando) < self.config.capacidade:
            self._iniciar(self._fila.popleft(), agora)

    def _iniciar(self, job: JobSimulado, agora: float) -> None:
        job.status, job.started_at, job.inicio = "RUNNING", _agora(), agora
        self._rodando.append(job)
        if job.sat:
            job.registrar("Abrindo SAT")
            job.registrar("Login no SAT")
        else:
            if self._preparo is not None and not job.travado and self._erro_do_portal(job) is None:
                job.pdf = self._preparo.submit(self._gerar_pdf, job)
            job.registrar(f"Abrindo portal {job.operadora}")
            job.registrar(f"Login no portal com o usuário {job.pedido.login}")
        self._cond.notify_all()

    def _finalizar(self, job: JobSimulado) -> None:
        """Work out the outcome outside the lock (PDF generation and upload), then publish it."""
        try:
            result, error = self._resultado_sat(job) if job.sat else self._resultado_download(job)
        except Exception as exc:  # the object store failed: the robot reports it
            log.exception("simulador: falha ao concluir o job %s", job.job_id)
            result, error = None, f"Erro interno do robô: {type(exc).__name__}"
        with self._cond:
            if job in self._rodando:
                self._rodando.remove(job)
                self._ocupar_vagas(time.monotonic())  # the freed slot takes the next job now, not after the wave
            if job.status == "RUNNING":
                self._busca_registrada(job)
                if error is None:
                    job.status, job.result = "COMPLETED", result
                    job.registrar("Upload concluído" if job.sat else "Download concluído")
                else:
                    job.status, job.error = "FAILED", error
                    job.registrar(error, "ERROR")
                job.completed_at = _agora()
            self._cond.notify_all()

    def _resultado_sat(self, job: JobSimulado) -> tuple[dict[str, Any], None]:
        protocolo = hashlib.sha256(job.job_id.encode()).hexdigest()[:10].upper()
        return {"protocolo": f"SAT-{protocolo}"}, None

    def _erro_do_portal(self, job: JobSimulado) -> str | None:
        """What the scripted portal answers a download instead of an invoice, if anything."""
        pedido: PedidoDownload = job.pedido  # type: ignore[assignment]
        if pedido.cnpj in self.config.credenciais_invalidas:
            return f"Falha no login do portal {job.operadora}: credenciais inválidas para o usuário {pedido.login}"
        if job.tentativa <= self.config.nao_publicada_ate.get(pedido.cnpj, 0):
            return f"Fatura não disponível no portal para o filtro {pedido.filtro}"
        return None

    def _resultado_download(self, job: JobSimulado) -> tuple[dict[str, Any] | None, str | None]:
        pedido: PedidoDownload = job.pedido  # type: ignore[assignment]
        cfg = self.config
        erro = self._erro_do_portal(job)
        if erro is not None:
            if cfg.eco_senha_no_erro:
                erro += f" (login={pedido.login} senha={pedido.senha.get_secret_value()})"
            return None, erro
        dados = self._dados(job)
        mes, ano = dados.mes_ano.split("/")
        chave = f"robo/{job.operadora}/{ano}-{mes}/{job.job_id}.pdf"
        if self._sortear(cfg.taxa_arquivo_nao_pdf):
            self._contar_falha("nao_pdf")
            self._store.put(chave, _NAO_PDF, "text/html")
        else:
            pdf, job.pdf = job.pdf.result() if job.pdf else self._gerar_pdf(job), None  # the bytes are not kept
            self._store.put(chave, pdf, "application/pdf")
        result: dict[str, Any] = {
            "arquivo_fatura": {
                "s3": f"s3://{self.bucket}/{chave}",
                "chave": chave,
                "http": f"{job.base_url}/arquivos/{chave}",
            }[_formato(cfg.formato_arquivo, _FORMATOS_ARQUIVO, job.indice)]
        }
        valor = _formato(cfg.formato_valor, _FORMATOS_VALOR, job.indice)
        if valor != "ausente":
            result["valor_fatura"] = {"numero": float(dados.valor), "texto": str(dados.valor), "br": formatar_moeda(dados.valor)}[valor]
        data = _formato(cfg.formato_data, _FORMATOS_DATA, job.indice)
        if data != "ausente":
            result["data_vencimento"] = dados.vencimento.strftime({"br": "%d/%m/%Y", "br_hifen": "%d-%m-%Y", "iso": "%Y-%m-%d"}[data])
        return result, None

    def _dados(self, job: JobSimulado) -> DadosFatura:
        pedido: PedidoDownload = job.pedido  # type: ignore[assignment]
        return dados_da_fatura(job.operadora, pedido.cnpj, pedido.filtro, self.config.razao_social.get(pedido.cnpj))

    def _gerar_pdf(self, job: JobSimulado) -> bytes:
        return gerar_pdf_fatura(self._dados(job))

    def _busca_registrada(self, job: JobSimulado) -> None:
        if not job.buscando:
            job.buscando = True
            if job.sat:
                job.registrar(f"Enviando fatura {job.pedido.nome_arquivo}")
            else:
                job.registrar(f"Buscando fatura {job.pedido.filtro}")

    def _contar_falha(self, tipo: str) -> None:
        with self._cond:
            self.falhas[tipo] += 1

    # ------------------------------------------------------------------ views

    def _progresso(self, job: JobSimulado) -> int:
        if job.status in ("COMPLETED", "FAILED"):
            return 100
        if job.status != "RUNNING":
            return 0
        decorrido = time.monotonic() - job.inicio
        if job.travado:
            if decorrido >= self.config.latencia_s / 2 and not job.buscando:
                self._busca_registrada(job)
                job.registrar("Aguardando resposta do portal", "WARNING")
            return 50
        fracao = decorrido / job.duracao_s if job.duracao_s > 0 else 1.0
        if fracao >= 0.5:
            self._busca_registrada(job)
        return min(99, int(fracao * 100))

    def _logs(self, job: JobSimulado) -> list[dict[str, str]]:
        self._progresso(job)
        return list(job.logs)

    def _visao(self, job: JobSimulado) -> dict[str, Any]:
        progresso = self._progresso(job)
        return {
            "job_id": job.job_id,
            "operadora": job.operadora,
            "status": job.status,
            "progress": progresso,
            "result": job.result,
            "error": job.error,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "completed_at": job.completed_at,
            "logs": list(job.logs),
        }

    # ------------------------------------------------------------------ HTTP routes

    def _atender(self, h: "_Handler", metodo: str) -> None:
        partes = urlsplit(h.path)
        caminho = unquote(partes.path).rstrip("/") or "/"
        tamanho = int(h.headers.get("Content-Length") or 0)
        corpo = h.rfile.read(tamanho) if tamanho else b""
        segmentos = caminho.strip("/").split("/")
        rota = f"{metodo} /{segmentos[0]}" if segmentos[0] else f"{metodo} /"
        with self._cond:
            self.requisicoes[rota] += 1
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

    def _rotear(self, h: "_Handler", metodo: str, seg: list[str], query: str, corpo: bytes) -> tuple[int, Any, bool]:
        """(status code, body, whether a malformed-JSON fault may hit it)."""
        cfg = self.config
        if metodo == "GET" and seg == ["health"]:
            with self._cond:
                pendentes, ativos = len(self._fila), len(self._rodando)
            saude = {"status": "healthy", "message": "Simulador BEG do robô", "jobs_pending": pendentes, "jobs_active": ativos}
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
                raise _Resposta(422, {"detail": [{"loc": ["query", "limit"], "msg": "inteiro", "type": "int_parsing"}]}) from None
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

    def _submeter(self, h: "_Handler", alvo: str, corpo: bytes, resetar: bool) -> tuple[int, Any, bool]:
        cfg = self.config
        sat = alvo.lower() == "sat"
        operadora = alvo.upper()
        if not sat and operadora not in cfg.operadoras:
            raise _Resposta(404, {"detail": f"Operadora {operadora} não possui robô"})
        try:
            dados = json.loads(corpo or b"null")
            pedido = (PedidoSat if sat else PedidoDownload).model_validate(dados)
        except ValueError as exc:  # JSONDecodeError and ValidationError; never echo the input
            erros = exc.errors() if isinstance(exc, ValidationError) else [{"loc": (), "msg": "JSON inválido", "type": "json_invalid"}]
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
        resposta = {"job_id": job.job_id, "status": "PENDING", "message": "Job criado", "status_url": f"/status/{job.job_id}"}
        return cfg.status_aceite, resposta, True

    def _criar(self, pedido: PedidoDownload | PedidoSat, operadora: str, host: str | None) -> JobSimulado:
        cfg = self.config
        travado = self._sortear(cfg.taxa_job_travado)
        with self._cond:
            duracao = max(0.0, self._rng.uniform(cfg.latencia_s - cfg.jitter_s, cfg.latencia_s + cfg.jitter_s))
            tentativa = 0
            if isinstance(pedido, PedidoDownload):
                self._tentativas_cnpj[pedido.cnpj] += 1
                tentativa = self._tentativas_cnpj[pedido.cnpj]
            job = JobSimulado(
                job_id=uuid.uuid4().hex,
                indice=len(self.jobs),
                operadora=operadora,
                pedido=pedido,
                tentativa=tentativa,
                duracao_s=duracao,
                travado=travado,
                base_url=f"http://{host}" if host else self.base_url or "",
            )
            job.registrar("Job criado; aguardando robô livre")
            self.jobs[job.job_id] = job
            processo = pedido.processo_id or job.job_id
            self.submissoes_por_processo[f"SAT/{processo}" if job.sat else processo] += 1
            if travado:
                self.falhas["travado"] += 1
            self._fila.append(job)
            self._cond.notify_all()
        return job

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
            job.status, job.completed_at = "CANCELLED", _agora()
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
        self, h: "_Handler", codigo: int, corpo: Any, cabecalhos: dict[str, str] | None = None, *, json_sujeito: bool = False
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
    def _resetar(h: "_Handler") -> None:
        h.close_connection = True
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "BEGSimuladorRPA/1.0"
    timeout = 60  # idle keep-alive connections are dropped after a minute
    disable_nagle_algorithm = True  # headers and body go in separate writes: avoid 40 ms delayed-ACK stalls
    sim: Simulador

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.sim._atender(self, "GET")

    def do_POST(self) -> None:  # noqa: N802
        self.sim._atender(self, "POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self.sim._atender(self, "DELETE")

    def log_message(self, formato: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), formato % args)

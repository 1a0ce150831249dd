"""The RPA robot API contract (v1) in one place: payloads, responses, failure classes and the client.

See ``/work/shared/contracts/rpa-api.md``. A change by the vendor is a change in this module only.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
import threading
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_serializer, field_validator
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from beg_pipeline.domain.execucao import ClasseFalha

if TYPE_CHECKING:
    from beg_pipeline.settings import Settings
    from beg_pipeline.storage.base import ObjectStore

log = logging.getLogger("beg_pipeline.rpa")

OPERADORAS_CONHECIDAS = ("OI", "VIVO", "EMBRATEL", "DIGITALNET")
ESTADOS_TERMINAIS = ("COMPLETED", "FAILED")
REDIGIDO = "***"


# --------------------------------------------------------------------------- parsing helpers


def parse_valor(valor: Any) -> Decimal | None:
    """``1234.56`` | ``"1234.56"`` | ``"1.234,56"`` (| ``"R$ 1.234,56"``) | absent → Decimal or None."""
    if valor is None or (isinstance(valor, str) and not valor.strip()):
        return None
    if isinstance(valor, bool):
        raise ValueError("valor_fatura booleano")
    if isinstance(valor, (int, float, Decimal)):
        return Decimal(str(valor))
    if not isinstance(valor, str):
        raise ValueError(f"valor_fatura de tipo inesperado: {type(valor).__name__}")
    texto = valor.replace("R$", "").replace("\xa0", "").replace(" ", "")
    if "," in texto and "." in texto:
        decimal_sep = "," if texto.rfind(",") > texto.rfind(".") else "."
    elif "," in texto:
        decimal_sep = ","
    else:
        decimal_sep = "." if texto.count(".") == 1 else ""
    milhar_sep = "." if decimal_sep == "," else ","
    texto = texto.replace(milhar_sep, "")
    if decimal_sep == ",":
        texto = texto.replace(",", ".")
    elif decimal_sep == "":
        texto = texto.replace(".", "")
    try:
        return Decimal(texto)
    except InvalidOperation:
        raise ValueError(f"valor_fatura ilegível: {valor!r}") from None


_DATA_FORMATOS = (
    (re.compile(r"^\d{2}/\d{2}/\d{4}$"), "%d/%m/%Y"),
    (re.compile(r"^\d{2}-\d{2}-\d{4}$"), "%d-%m-%Y"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
)


def parse_data(valor: Any) -> dt.date | None:
    """``DD/MM/YYYY`` | ``DD-MM-YYYY`` | ``YYYY-MM-DD`` (a time part is ignored) | absent → date or None."""
    if valor is None or (isinstance(valor, str) and not valor.strip()):
        return None
    if isinstance(valor, dt.datetime):
        return valor.date()
    if isinstance(valor, dt.date):
        return valor
    if not isinstance(valor, str):
        raise ValueError(f"data de tipo inesperado: {type(valor).__name__}")
    texto = re.split(r"[T ]", valor.strip(), maxsplit=1)[0]
    for padrao, formato in _DATA_FORMATOS:
        if padrao.match(texto):
            return dt.datetime.strptime(texto, formato).date()
    raise ValueError(f"data ilegível: {valor!r}")


def parse_instante(valor: Any) -> dt.datetime | None:
    """An ISO-8601 timestamp as an aware datetime (naive → UTC); None when absent or unreadable."""
    if not valor or not isinstance(valor, str):
        return None
    try:
        instante = dt.datetime.fromisoformat(valor.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return instante if instante.tzinfo else instante.replace(tzinfo=dt.UTC)


def _sem_acentos(texto: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", texto) if not unicodedata.combining(c)).casefold()


def redigir(texto: str, segredos: Any) -> str:
    """Replace every occurrence of each secret (token, portal passwords) by ``***``."""
    for segredo in sorted((s for s in segredos if s), key=len, reverse=True):
        texto = texto.replace(segredo, REDIGIDO)
    return texto


# --------------------------------------------------------------------------- failure classes


_TERMOS_NAO_PUBLICADA = ("fatura nao disponivel", "nenhuma fatura")
_TERMOS_CREDENCIAIS = ("login", "senha", "credenciais", "auth-401")


def classificar_falha(erro: str | None) -> ClasseFalha:
    """Classify a failed job's free-text error (case and accent insensitive).

    The "not published" phrases are checked first: they are specific, while "login" also
    appears in robot messages that are not about credentials.
    """
    texto = _sem_acentos(erro or "")
    if any(termo in texto for termo in _TERMOS_NAO_PUBLICADA):
        return ClasseFalha.NAO_PUBLICADA
    if any(termo in texto for termo in _TERMOS_CREDENCIAIS):
        return ClasseFalha.CREDENCIAIS
    return ClasseFalha.TRANSITORIA


# --------------------------------------------------------------------------- payloads


class PedidoDownload(BaseModel):
    """Body of ``POST /executar/{OPERADORA}``."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    login: str = Field(min_length=1)
    senha: SecretStr
    filtro: str = Field(min_length=1)
    cnpj: str = Field(min_length=1)
    processo_id: str | None = None

    def payload(self, *, redigido: bool = False) -> dict[str, str]:
        """The JSON body; ``redigido=True`` for logs (password replaced by ``***``)."""
        corpo = self.model_dump(exclude_none=True)
        corpo["senha"] = REDIGIDO if redigido else self.senha.get_secret_value()
        return corpo


class PedidoSat(BaseModel):
    """Body of ``POST /executar/sat`` (the vendor's ``AutomacaoPayloadSat``)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    cnpj: str = Field(min_length=1)
    razao: str = Field(min_length=1)
    operadora: str = Field(min_length=1)
    nome_filtro: str = Field(min_length=1)
    unidade: str
    servico: str
    dados_sat: str
    nome_arquivo: str = Field(min_length=1)
    data_vencimento: dt.date
    processo_id: str | None = None

    @field_validator("data_vencimento", mode="before")
    @classmethod
    def _data(cls, valor: Any) -> dt.date:
        data = parse_data(valor)
        if data is None:
            raise ValueError("data_vencimento obrigatória (DD/MM/AAAA)")
        return data

    @field_serializer("data_vencimento")
    def _data_br(self, valor: dt.date) -> str:
        return valor.strftime("%d/%m/%Y")

    def payload(self, *, redigido: bool = False) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


Pedido = PedidoDownload | PedidoSat


# --------------------------------------------------------------------------- responses


class _Resposta(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class JobAceito(_Resposta):
    """Answer of both ``POST /executar/…`` (200 or 202); ``adotado`` when found via ``GET /jobs``."""

    job_id: str = Field(min_length=1)
    status: str = "PENDING"
    message: str | None = None
    status_url: str | None = None
    adotado: bool = False


class LogLinha(_Resposta):
    """One robot log line (``GET /jobs/{id}/logs`` and ``StatusJob.logs``)."""

    timestamp: str | None = None
    level: str = "INFO"
    message: str = ""
    job_id: str | None = None
    operadora: str | None = None

    @field_validator("level", mode="before")
    @classmethod
    def _nivel(cls, valor: Any) -> str:
        nivel = str(valor or "INFO").upper()
        return "WARN" if nivel == "WARNING" else nivel

    @field_validator("message", mode="before")
    @classmethod
    def _texto(cls, valor: Any) -> str:
        return "" if valor is None else str(valor)


class StatusJob(_Resposta):
    """``GET /status/{job_id}``. Any status other than COMPLETED/FAILED counts as still running."""

    job_id: str
    operadora: str | None = None
    status: str
    progress: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    logs: list[LogLinha] | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, valor: Any) -> str:
        return str(valor or "").strip().upper()

    @property
    def concluido(self) -> bool:
        return self.status == "COMPLETED"

    @property
    def falhou(self) -> bool:
        return self.status == "FAILED"

    @property
    def terminado(self) -> bool:
        return self.status in ESTADOS_TERMINAIS

    @property
    def classe_falha(self) -> ClasseFalha | None:
        return classificar_falha(self.error) if self.falhou else None


class ResumoJob(_Resposta):
    """One entry of ``GET /jobs?limit=N`` (newest first)."""

    job_id: str
    operadora: str | None = None
    status: str | None = None
    created_at: str | None = None
    processo_id: str | None = None


class Health(_Resposta):
    """``GET /health``."""

    status: str
    message: str | None = None
    jobs_pending: int | None = None
    jobs_active: int | None = None

    @property
    def saudavel(self) -> bool:
        return self.status.lower() == "healthy"


class TipoRef(StrEnum):
    S3 = "s3"  # s3://bucket/key
    CHAVE = "chave"  # bare key in the configured bucket
    HTTP = "http"  # http(s) URL, GET with the bearer token


@dataclass(frozen=True)
class RefArquivo:
    """Where the robot left the invoice PDF."""

    tipo: TipoRef
    original: str
    chave: str | None = None
    bucket: str | None = None

    @classmethod
    def parse(cls, valor: str) -> "RefArquivo":
        texto = valor.strip()
        if not texto:
            raise ValueError("arquivo_fatura vazio")
        esquema = texto.split("://", 1)[0].lower() if "://" in texto else ""
        if esquema == "s3":
            bucket, _, chave = texto[5:].partition("/")
            if not bucket or not chave:
                raise ValueError(f"arquivo_fatura s3 sem bucket ou chave: {texto!r}")
            return cls(TipoRef.S3, texto, chave=chave, bucket=bucket)
        if esquema in ("http", "https"):
            return cls(TipoRef.HTTP, texto)
        if esquema:
            raise ValueError(f"arquivo_fatura com esquema desconhecido: {texto!r}")
        return cls(TipoRef.CHAVE, texto, chave=texto.lstrip("/"))


class ResultadoDownload(_Resposta):
    """``result`` of a COMPLETED download job, every known variant normalised."""

    arquivo_fatura: RefArquivo
    valor_fatura: Decimal | None = None
    data_vencimento: dt.date | None = None

    @field_validator("arquivo_fatura", mode="before")
    @classmethod
    def _arquivo(cls, valor: Any) -> RefArquivo:
        if isinstance(valor, RefArquivo):
            return valor
        if not isinstance(valor, str):
            raise ValueError("arquivo_fatura deve ser texto")
        return RefArquivo.parse(valor)

    @field_validator("valor_fatura", mode="before")
    @classmethod
    def _valor(cls, valor: Any) -> Decimal | None:
        return parse_valor(valor)

    @field_validator("data_vencimento", mode="before")
    @classmethod
    def _vencimento(cls, valor: Any) -> dt.date | None:
        return parse_data(valor)


# --------------------------------------------------------------------------- errors


class RpaErro(Exception):
    """Base of every error of the robot API client; messages never carry the token or a password."""


class RpaIndisponivel(RpaErro):
    """Connection errors, timeouts, 5xx or 429 after every retry."""


class EnvioIncerto(RpaErro):
    """A submit may have created a job, and ``GET /jobs`` could not say: resubmitting could duplicate it."""


class RpaNaoAutorizado(RpaErro):
    """401: the bearer token was refused."""


class OperadoraSemRobo(RpaErro):
    """404 on ``POST /executar/{OPERADORA}``: no robot for that carrier."""


class PedidoRecusado(RpaErro):
    """422 (or another 4xx) on a submit: the API rejected the body."""


class JobNaoEncontrado(RpaErro):
    """404 on a job endpoint."""


class RespostaInvalida(RpaErro):
    """The API answered something that is not the contract's JSON (after every retry)."""


class ArquivoInvalido(RpaErro):
    """The invoice file of a completed job cannot be fetched or is not a PDF."""


class RpaErroHttp(RpaErro):
    """Another non-retryable 4xx."""

    def __init__(self, mensagem: str, status_code: int):
        super().__init__(mensagem)
        self.status_code = status_code


# --------------------------------------------------------------------------- client


def _nao_enviado(exc: requests.RequestException) -> bool:
    """True when the request surely never reached the server (connect timeout / refused / DNS)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    causa = exc.args[0] if exc.args else None
    causa = getattr(causa, "reason", causa)
    return isinstance(causa, (NewConnectionError, ConnectTimeoutError))


def _retry_after(resposta: requests.Response) -> float | None:
    valor = resposta.headers.get("Retry-After")
    if not valor:
        return None
    try:
        return max(0.0, float(valor))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(valor) - dt.datetime.now(dt.UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _detalhe(resposta: requests.Response) -> str:
    try:
        corpo = resposta.json()
    except ValueError:
        return resposta.text[:300]
    detalhe = corpo.get("detail", corpo) if isinstance(corpo, dict) else corpo
    if isinstance(detalhe, list):  # FastAPI/pydantic style: keep loc + msg, never the echoed input
        detalhe = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg', '')}" if isinstance(d, dict) else str(d)
            for d in detalhe
        )
    return str(detalhe)[:300]


class RpaClient:
    """HTTP client of the robot API: retries, backoff with full jitter, Retry-After, safe submits."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float | None = None,
        max_retries: int = 5,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        retry_after_max_s: float = 300.0,
        limite_busca_jobs: int = 100,
        folga_relogio_s: float = 5.0,
        pool_maxsize: int = 32,
        dormir: Callable[[float], None] = time.sleep,
        aleatorio: random.Random | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._token = token
        self.timeout = (connect_timeout_s or min(10.0, timeout_s), timeout_s)
        self.max_retries = max_retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.retry_after_max_s = retry_after_max_s
        self.limite_busca_jobs = limite_busca_jobs
        self.folga_relogio = dt.timedelta(seconds=folga_relogio_s)
        self._dormir = dormir
        self._aleatorio = aleatorio or random.Random()
        self._segredos: set[str] = {token}
        self._lock = threading.Lock()
        self._session = requests.Session()
        self._session.trust_env = False  # no proxy or .netrc surprises: the robot API is internal
        adaptador = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize)
        self._session.mount("http://", adaptador)
        self._session.mount("https://", adaptador)
        self._session.headers.update(
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"}
        )

    @classmethod
    def from_settings(cls, settings: "Settings", **opcoes: Any) -> "RpaClient":
        from beg_pipeline.seguranca import rpa_token

        opcoes.setdefault("timeout_s", settings.rpa_timeout_s)
        opcoes.setdefault("pool_maxsize", settings.rpa_max_concurrency + 8)
        return cls(settings.rpa_url, rpa_token(settings), **opcoes)

    def __repr__(self) -> str:
        return f"RpaClient({self.base_url!r}, token=<oculto>)"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> "RpaClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ redaction

    def registrar_segredo(self, segredo: str) -> None:
        """Remember a portal password so that it is masked wherever the API echoes it."""
        if segredo:
            with self._lock:
                self._segredos.add(segredo)

    def redigir(self, texto: str) -> str:
        with self._lock:
            segredos = tuple(self._segredos)
        return redigir(texto, segredos)

    # ------------------------------------------------------------------ transport

    def _espera_backoff(self, tentativa: int) -> float:
        return self._aleatorio.uniform(0, min(self.backoff_max_s, self.backoff_base_s * 2**tentativa))

    def _chamar(
        self,
        metodo: str,
        caminho: str,
        corpo: dict[str, Any] | None = None,
        *,
        url: str | None = None,
        json_esperado: bool = True,
        envio_incerto: Callable[[], Any] | None = None,
    ) -> Any:
        """One logical call with retries. ``envio_incerto`` runs (instead of a blind resend) when a
        non-idempotent request may have been processed; a non-None answer is returned as the result."""
        alvo = url or f"{self.base_url}{caminho}"
        rotulo = f"{metodo} {caminho}"
        motivo = ""

        def resolver_incerto() -> Any:
            try:
                return envio_incerto()
            except RpaErro as exc:
                raise EnvioIncerto(f"{rotulo}: o envio pode ter criado um job e a consulta GET /jobs falhou "
                                   f"({exc}); não reenviado para não duplicar") from None

        for tentativa in range(self.max_retries + 1):
            espera: float | None = None
            try:
                resposta = self._session.request(metodo, alvo, json=corpo, timeout=self.timeout)
            except requests.RequestException as exc:
                motivo = type(exc).__name__
                if envio_incerto is not None and not _nao_enviado(exc):
                    achado = resolver_incerto()
                    if achado is not None:
                        return achado
            else:
                codigo = resposta.status_code
                if codigo < 400:
                    if not json_esperado:
                        return resposta.content
                    try:
                        return resposta.json()
                    except ValueError:
                        motivo = f"JSON malformado (HTTP {codigo})"
                        if envio_incerto is not None:
                            achado = resolver_incerto()
                            if achado is not None:
                                return achado
                elif codigo == 401:
                    raise RpaNaoAutorizado(
                        f"{rotulo}: a API do robô recusou o token (401); verifique BEG_RPA_TOKEN"
                    )
                elif codigo in (429, 503):
                    motivo = f"HTTP {codigo}"
                    espera = _retry_after(resposta)
                elif codigo >= 500:
                    motivo = f"HTTP {codigo}"
                    if envio_incerto is not None:
                        achado = resolver_incerto()
                        if achado is not None:
                            return achado
                else:
                    detalhe = self.redigir(_detalhe(resposta))
                    raise self._erro_4xx(metodo, caminho, codigo, detalhe)
            if tentativa == self.max_retries:
                break
            pausa = min(espera, self.retry_after_max_s) if espera is not None else self._espera_backoff(tentativa)
            log.warning("%s: %s; nova tentativa em %.2f s (%d/%d)", rotulo, motivo, pausa, tentativa + 1, self.max_retries)
            self._dormir(pausa)
        erro = RespostaInvalida if motivo.startswith("JSON") else RpaIndisponivel
        raise erro(f"{rotulo}: {motivo} após {self.max_retries + 1} tentativas ({self.base_url})")

    @staticmethod
    def _erro_4xx(metodo: str, caminho: str, codigo: int, detalhe: str) -> RpaErro:
        rotulo = f"{metodo} {caminho}"
        if caminho.startswith("/executar/"):
            if codigo == 404:
                return OperadoraSemRobo(f"{rotulo}: sem robô para esta operadora (404): {detalhe}")
            return PedidoRecusado(f"{rotulo}: pedido recusado ({codigo}): {detalhe}")
        if codigo == 404:
            return JobNaoEncontrado(f"{rotulo}: não encontrado (404)")
        return RpaErroHttp(f"{rotulo}: HTTP {codigo}: {detalhe}", codigo)

    @staticmethod
    def _validar(modelo: type[BaseModel], dados: Any, rotulo: str) -> Any:
        try:
            return modelo.model_validate(dados)
        except ValidationError as exc:
            erros = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise RespostaInvalida(f"{rotulo}: resposta fora do contrato: {erros}") from None

    # ------------------------------------------------------------------ endpoints

    def health(self) -> Health:
        return self._validar(Health, self._chamar("GET", "/health"), "GET /health")

    def submeter_download(self, operadora: str, pedido: PedidoDownload,
                          ignorar: frozenset[str] = frozenset()) -> JobAceito:
        """``POST /executar/{OPERADORA}``; never creates a second job for the same ``processo_id``.

        ``ignorar``: job ids already owned by other attempts of the process, never adopted after an uncertain submit.
        """
        self.registrar_segredo(pedido.senha.get_secret_value())
        return self._submeter(f"/executar/{quote(operadora.strip().upper(), safe='')}", pedido, ignorar)

    def submeter_sat(self, pedido: PedidoSat, ignorar: frozenset[str] = frozenset()) -> JobAceito:
        """``POST /executar/sat`` (``ignorar`` as for downloads: e.g. the process's download jobs)."""
        return self._submeter("/executar/sat", pedido, ignorar)

    def _submeter(self, caminho: str, pedido: Pedido, ignorar: frozenset[str]) -> JobAceito:
        inicio = dt.datetime.now(dt.UTC)
        log.info("POST %s %s", caminho, json.dumps(pedido.payload(redigido=True), ensure_ascii=False))

        def procurar() -> JobAceito | None:
            if not pedido.processo_id:
                return None
            achado = self.encontrar_job(pedido.processo_id, desde=inicio, ignorar=ignorar)
            if achado is None:
                log.warning("POST %s: envio incerto e nenhum job do processo %s; reenviando", caminho, pedido.processo_id)
                return None
            log.warning("POST %s: envio incerto; adotando o job %s do processo %s", caminho, achado.job_id, pedido.processo_id)
            return JobAceito(job_id=achado.job_id, status=achado.status or "PENDING", message="adotado", adotado=True)

        dados = self._chamar("POST", caminho, pedido.payload(), envio_incerto=procurar)
        aceito = dados if isinstance(dados, JobAceito) else self._validar(JobAceito, dados, f"POST {caminho}")
        log.info("POST %s: job %s (%s)", caminho, aceito.job_id, aceito.status)
        return aceito

    def status(self, job_id: str) -> StatusJob:
        caminho = f"/status/{quote(job_id, safe='')}"
        estado: StatusJob = self._validar(StatusJob, self._chamar("GET", caminho), f"GET {caminho}")
        atualizacao: dict[str, Any] = {}
        if estado.error:
            atualizacao["error"] = self.redigir(estado.error)
        if estado.logs:
            atualizacao["logs"] = [self._linha_redigida(linha) for linha in estado.logs]
        return estado.model_copy(update=atualizacao) if atualizacao else estado

    def logs(self, job_id: str) -> list[LogLinha]:
        caminho = f"/jobs/{quote(job_id, safe='')}/logs"
        dados = self._chamar("GET", caminho)
        if not isinstance(dados, list):
            raise RespostaInvalida(f"GET {caminho}: esperava uma lista")
        return [self._linha_redigida(self._validar(LogLinha, d, f"GET {caminho}")) for d in dados]

    def _linha_redigida(self, linha: LogLinha) -> LogLinha:
        texto = self.redigir(linha.message)
        return linha if texto == linha.message else linha.model_copy(update={"message": texto})

    def jobs(self, limit: int = 50) -> list[ResumoJob]:
        caminho = f"/jobs?limit={int(limit)}"
        dados = self._chamar("GET", caminho)
        if not isinstance(dados, list):
            raise RespostaInvalida(f"GET {caminho}: esperava uma lista")
        return [self._validar(ResumoJob, d, f"GET {caminho}") for d in dados]

    def cancelar(self, job_id: str) -> bool:
        """``DELETE /jobs/{id}``: True if cancelled, False if already finished or unknown (404/409)."""
        caminho = f"/jobs/{quote(job_id, safe='')}"
        try:
            self._chamar("DELETE", caminho, json_esperado=False)
        except (JobNaoEncontrado, RpaErroHttp) as exc:
            if isinstance(exc, RpaErroHttp) and exc.status_code != 409:
                raise
            return False
        return True

    def encontrar_job(self, processo_id: str, desde: dt.datetime | None = None,
                      ignorar: frozenset[str] = frozenset()) -> ResumoJob | None:
        """The newest job of ``processo_id`` in ``GET /jobs`` (created after ``desde`` minus a clock
        allowance, when given); for crash recovery and uncertain submits."""
        limite = desde - self.folga_relogio if desde else None
        for job in self.jobs(self.limite_busca_jobs):
            if job.processo_id != processo_id or job.job_id in ignorar:
                continue
            criado = parse_instante(job.created_at)
            if limite is None or criado is None or criado >= limite:
                return job
        return None

    def baixar_arquivo(self, ref: RefArquivo | str) -> bytes:
        """GET an ``http(s)`` invoice URL with the bearer token."""
        url = ref.original if isinstance(ref, RefArquivo) else ref
        if urlsplit(url).scheme not in ("http", "https"):
            raise ArquivoInvalido(f"não é uma URL http(s): {url!r}")
        try:
            return self._chamar("GET", urlsplit(url).path, url=url, json_esperado=False)
        except RpaErro as exc:
            if isinstance(exc, RpaNaoAutorizado):
                raise
            raise ArquivoInvalido(f"arquivo da fatura inacessível: {exc}") from None


def ler_arquivo_fatura(
    ref: RefArquivo | str, object_store: "ObjectStore", client: RpaClient, bucket: str | None = None
) -> bytes:
    """The invoice PDF behind any ``arquivo_fatura`` variant; ``ArquivoInvalido`` if missing or not a PDF."""
    from beg_pipeline.storage.base import ObjetoNaoEncontrado

    ref = ref if isinstance(ref, RefArquivo) else RefArquivo.parse(ref)
    if ref.tipo is TipoRef.HTTP:
        dados = client.baixar_arquivo(ref)
    else:
        if ref.bucket and bucket and ref.bucket != bucket:
            raise ArquivoInvalido(f"arquivo em outro bucket ({ref.bucket}); o configurado é {bucket}")
        try:
            dados = object_store.get(ref.chave or "")
        except ObjetoNaoEncontrado:
            raise ArquivoInvalido(f"arquivo da fatura não está no object store: {ref.chave}") from None
    if not dados.startswith(b"%PDF-"):
        raise ArquivoInvalido(f"arquivo da fatura não é PDF ({len(dados)} bytes, início {dados[:8]!r})")
    return dados

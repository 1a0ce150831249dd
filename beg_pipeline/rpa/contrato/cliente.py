"""HTTP client of the robot API: retries as ``politica_tentativas.PoliticaHttp`` says, safe submits, redaction.

The token goes only to the API's origin; every body is read with a byte cap and an overall deadline; redirects are
followed only within the same origin (``procedencia`` says what else a robot's answer may point to).

Slightly over 400 lines: every call of the contract goes through the one retry, redaction and safety path here."""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from pydantic import BaseModel, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from beg_pipeline.domain.politica_tentativas import (
    CODIGOS_COM_RETRY_AFTER,
    POLITICA_HTTP,
    PoliticaHttp,
    codigo_repetivel,
)
from beg_pipeline.rpa.contrato.corpo_http import CorpoLento, RespostaRecusada, ler_corpo
from beg_pipeline.rpa.contrato.erros import (
    ArquivoInvalido,
    EnvioIncerto,
    JobNaoEncontrado,
    OperadoraSemRobo,
    PedidoRecusado,
    RespostaInvalida,
    RpaErro,
    RpaErroHttp,
    RpaIndisponivel,
    RpaNaoAutorizado,
)
from beg_pipeline.rpa.contrato.modelos import (
    Health,
    JobAceito,
    LogLinha,
    Pedido,
    PedidoDownload,
    PedidoSat,
    ResumoJob,
    StatusJob,
)
from beg_pipeline.rpa.contrato.procedencia import MAX_JSON_BYTES, RegrasArquivos, origem
from beg_pipeline.rpa.contrato.redacao import redigir
from beg_pipeline.rpa.contrato.variantes import RefArquivo, parse_instante

if TYPE_CHECKING:
    from beg_pipeline.settings import Settings

log = logging.getLogger("beg_pipeline.rpa")

_MAX_REDIRECIONAMENTOS = 5


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


def _detalhe(conteudo: bytes) -> str:
    try:
        corpo = json.loads(conteudo)
    except ValueError:
        return conteudo[:300].decode("utf-8", "replace")
    detalhe = corpo.get("detail", corpo) if isinstance(corpo, dict) else corpo
    if isinstance(detalhe, list):  # FastAPI/pydantic style: keep loc + msg, never the echoed input
        detalhe = "; ".join(
            f"{'.'.join(str(p) for p in d.get('loc', []))}: {d.get('msg', '')}" if isinstance(d, dict) else str(d)
            for d in detalhe
        )
    return str(detalhe)[:300]


class RpaClient:
    """HTTP client of the robot API: retries, backoff with full jitter, Retry-After, safe submits.

    The retry numbers default to ``POLITICA_HTTP``; the keyword arguments override them (tests, benchmarks)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = 30.0,
        connect_timeout_s: float | None = None,
        max_retries: int = POLITICA_HTTP.max_retries,
        backoff_base_s: float = POLITICA_HTTP.backoff_base_s,
        backoff_max_s: float = POLITICA_HTTP.backoff_max_s,
        retry_after_max_s: float = POLITICA_HTTP.retry_after_max_s,
        limite_busca_jobs: int = 100,
        folga_relogio_s: float = 5.0,
        pool_maxsize: int = 32,
        arquivos: RegrasArquivos | None = None,
        max_json_bytes: int = MAX_JSON_BYTES,
        dormir: Callable[[float], None] = time.sleep,
        aleatorio: random.Random | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.origem_api = origem(self.base_url)
        self.arquivos = arquivos or RegrasArquivos()
        self.max_json_bytes = max_json_bytes
        self._token = token
        self.timeout = (connect_timeout_s or min(10.0, timeout_s), timeout_s)
        self.politica = PoliticaHttp(max_retries, backoff_base_s, backoff_max_s, retry_after_max_s)
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
        self._session.headers.update({"Content-Type": "application/json", "Accept": "application/json"})

    @classmethod
    def from_settings(cls, settings: Settings, **opcoes: Any) -> RpaClient:
        from beg_pipeline.seguranca import rpa_token

        opcoes.setdefault("timeout_s", settings.rpa_timeout_s)
        # one connection per call a batch makes at once (``rpa.lote``), and a few for its file downloads
        opcoes.setdefault("pool_maxsize", 2 * settings.rpa_max_concurrency + 8)
        opcoes.setdefault("arquivos", RegrasArquivos.from_settings(settings))
        return cls(settings.rpa_url, rpa_token(settings), **opcoes)

    def __repr__(self) -> str:
        return f"RpaClient({self.base_url!r}, token=<oculto>)"

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> RpaClient:
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
        return self.politica.espera_backoff(tentativa, self._aleatorio.uniform)

    def _chamar(
        self,
        metodo: str,
        caminho: str,
        corpo: dict[str, Any] | None = None,
        *,
        url: str | None = None,
        json_esperado: bool = True,
        arquivo: bool = False,
        envio_incerto: Callable[[], Any] | None = None,
    ) -> Any:
        """One logical call with retries. ``envio_incerto`` runs (instead of a blind resend) when a
        non-idempotent request may have been processed; a non-None answer is returned as the result.

        ``arquivo``: an invoice file (``url`` already checked): capped at ``arquivos.max_bytes`` and
        ``arquivos.prazo_s``, and a refused or too slow body fails at once (``ArquivoInvalido``), not retried."""
        alvo = url or f"{self.base_url}{caminho}"
        rotulo = f"{metodo} {caminho}"
        limite, prazo = (self.arquivos.max_bytes, self.arquivos.prazo_s) if arquivo else (
            self.max_json_bytes, self.timeout[1])
        motivo = ""

        def resolver_incerto() -> Any:
            try:
                return envio_incerto()
            except RpaErro as exc:
                raise EnvioIncerto(f"{rotulo}: o envio pode ter criado um job e a consulta GET /jobs falhou "
                                   f"({exc}); não reenviado para não duplicar") from None

        for tentativa in range(self.politica.chamadas):
            espera: float | None = None
            try:
                resposta, conteudo = self._requisitar(metodo, alvo, corpo, limite, prazo)
            except RespostaRecusada as exc:
                if envio_incerto is not None:
                    achado = resolver_incerto()
                    if achado is not None:
                        return achado
                raise (ArquivoInvalido if arquivo else RespostaInvalida)(f"{rotulo}: {exc}") from None
            except requests.RequestException as exc:
                if arquivo and isinstance(exc, CorpoLento):
                    raise ArquivoInvalido(f"{rotulo}: {exc}") from None
                motivo = str(exc) if isinstance(exc, CorpoLento) else type(exc).__name__
                if envio_incerto is not None and not _nao_enviado(exc):
                    achado = resolver_incerto()
                    if achado is not None:
                        return achado
            else:
                codigo = resposta.status_code
                if codigo < 400:
                    if not json_esperado:
                        return conteudo
                    try:
                        return json.loads(conteudo)
                    except ValueError:
                        motivo = f"JSON malformado (HTTP {codigo})"
                        if envio_incerto is not None:
                            achado = resolver_incerto()
                            if achado is not None:
                                return achado
                elif codigo == 401 and not arquivo:
                    raise RpaNaoAutorizado(
                        f"{rotulo}: a API do robô recusou o token (401); verifique BEG_RPA_TOKEN"
                    )
                elif codigo in CODIGOS_COM_RETRY_AFTER:
                    motivo = f"HTTP {codigo}"
                    espera = _retry_after(resposta)
                elif codigo_repetivel(codigo):
                    motivo = f"HTTP {codigo}"
                    if envio_incerto is not None:
                        achado = resolver_incerto()
                        if achado is not None:
                            return achado
                elif arquivo:  # a file server's error page is not shown to anyone
                    raise ArquivoInvalido(f"{rotulo}: HTTP {codigo}")
                else:
                    detalhe = self.redigir(_detalhe(conteudo))
                    raise self._erro_4xx(metodo, caminho, codigo, detalhe)
            if tentativa == self.politica.max_retries:
                break
            pausa = self.politica.espera_retry_after(espera) if espera is not None else self._espera_backoff(tentativa)
            log.warning("%s: %s; nova tentativa em %.2f s (%d/%d)", rotulo, motivo, pausa, tentativa + 1,
                        self.politica.max_retries)
            self._dormir(pausa)
        erro = RespostaInvalida if motivo.startswith("JSON") else RpaIndisponivel
        raise erro(f"{rotulo}: {motivo} após {self.politica.chamadas} tentativas ({self.base_url})")

    def _requisitar(self, metodo: str, url: str, corpo: dict[str, Any] | None, limite: int,
                    prazo_s: float) -> tuple[requests.Response, bytes]:
        """One HTTP exchange: the token only to the API's origin, same-origin redirects only (GET), the body read
        whole within ``limite`` bytes and ``prazo_s`` seconds from the start."""
        fim = time.monotonic() + prazo_s
        origem_atual = origem(url)
        for _ in range(_MAX_REDIRECIONAMENTOS + 1):
            cabecalhos = {"Authorization": f"Bearer {self._token}"} if origem_atual == self.origem_api else {
                "Accept": "application/pdf, */*", "Content-Type": None}
            leitura = min(self.timeout[1], prazo_s)
            resposta = self._session.request(metodo, url, json=corpo, headers=cabecalhos, stream=True,
                                             allow_redirects=False, timeout=(self.timeout[0], leitura))
            if not resposta.is_redirect:
                return resposta, ler_corpo(resposta, limite, fim, prazo_s)
            resposta.close()
            destino = urljoin(url, resposta.headers["Location"])
            try:
                nova = origem(destino)
            except ValueError:
                nova = "URL inválida"
            if nova != origem_atual or metodo != "GET":
                raise RespostaRecusada(f"redirecionamento para {nova} recusado (só na mesma origem, em GET)")
            url = destino
        raise RespostaRecusada(f"mais de {_MAX_REDIRECIONAMENTOS} redirecionamentos")

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
                log.warning("POST %s: envio incerto e nenhum job do processo %s; reenviando", caminho,
                            pedido.processo_id)
                return None
            log.warning("POST %s: envio incerto; adotando o job %s do processo %s", caminho, achado.job_id,
                        pedido.processo_id)
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
        """GET an ``http(s)`` invoice URL from an origin ``arquivos`` allows (the bearer token only to the API's);
        at most ``arquivos.max_bytes`` within ``arquivos.prazo_s``."""
        url = ref.original if isinstance(ref, RefArquivo) else ref
        self.arquivos.verificar_url(url, self.origem_api)
        try:
            return self._chamar("GET", urlsplit(url).path, url=url, json_esperado=False, arquivo=True)
        except RpaErro as exc:
            raise ArquivoInvalido(f"arquivo da fatura inacessível: {exc}") from None

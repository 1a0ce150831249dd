"""Batch runner: submit many robot jobs with bounded concurrency, follow them all, report each outcome.

Every callback runs in the thread that called ``executar_lote`` (so it may write to the
database without locking games), except ``preparar_pdf``. The HTTP submits run in one thread pool; file
downloads and ``preparar_pdf`` in another, so the loop keeps robot slots busy while files are handled.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from beg_pipeline.domain import politica_tentativas as politica
from beg_pipeline.rpa.contrato import (
    ClasseFalha,
    EnvioIncerto,
    JobAceito,
    JobNaoEncontrado,
    LogLinha,
    PedidoDownload,
    PedidoSat,
    RespostaInvalida,
    ResultadoDownload,
    RpaClient,
    RpaErro,
    RpaIndisponivel,
    RpaNaoAutorizado,
    StatusJob,
    classificar_falha,
    ler_arquivo_fatura,
)

if TYPE_CHECKING:
    from beg_pipeline.settings import Settings
    from beg_pipeline.storage.base import ObjectStore

log = logging.getLogger("beg_pipeline.rpa")

_FALHAS_GLOBAIS = (RpaIndisponivel, RpaNaoAutorizado)
_ESPERA_SUBMIT_AO_INTERROMPER_S = 30.0  # how long an interrupted batch waits for a submit's job id, to cancel it


@dataclass
class ItemLote:
    """One job of a batch; ``chave`` is the ``processo_id``. With ``job_id`` the job is adopted, not submitted."""

    chave: str
    operadora: str
    pedido: PedidoDownload | PedidoSat
    job_id: str | None = None
    ignorar_jobs: frozenset[str] = frozenset()  # jobs of other attempts: never adopted for this one

    def __post_init__(self) -> None:
        if self.pedido.processo_id != self.chave:
            self.pedido = self.pedido.model_copy(update={"processo_id": self.chave})


class TipoDesfecho(StrEnum):
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    TIMEOUT = "TIMEOUT"


@dataclass(frozen=True)
class Desfecho:
    """How one item ended. COMPLETED: ``resultado`` (ResultadoDownload, or the SAT dict) and, when an
    object store was given, the checked ``pdf`` and what ``preparar_pdf`` returned for it (``preparo``);
    FAILED: ``classe`` + ``mensagem``; TIMEOUT: ``mensagem``."""

    tipo: TipoDesfecho
    job_id: str | None
    resultado: ResultadoDownload | dict[str, Any] | None = None
    pdf: bytes | None = field(default=None, repr=False)
    preparo: Any = field(default=None, repr=False)
    classe: ClasseFalha | None = None
    mensagem: str | None = None
    duracao_s: float = 0.0
    incerto: bool = False  # the job may exist or still run: keep the attempt open, never resubmit it blindly


class CallbacksLote:
    """Hooks of ``executar_lote``; override what the pipeline needs. Exceptions are logged, never fatal
    (except in ``antes_de_submeter``: the item is then not submitted and ends FAILED; and in ``preparar_pdf``:
    the item ends FAILED as when its file cannot be fetched)."""

    def antes_de_submeter(self, item: ItemLote) -> None:
        """Right before the submit (e.g. write the execution row)."""

    def submetido(self, item: ItemLote, job_id: str) -> None:
        """The API accepted the job (``item.job_id`` is set)."""

    def preparar_pdf(self, item: ItemLote, resultado: ResultadoDownload, pdf: bytes) -> Any:
        """In a file-pool thread, right after the file was fetched (e.g. check and store it); the value goes into
        ``Desfecho.preparo``. Must be thread-safe."""

    def ao_log(self, item: ItemLote, linhas: list[LogLinha]) -> None:
        """Log lines not seen before, oldest first (passwords already masked)."""

    def concluido(self, item: ItemLote, desfecho: Desfecho) -> None:
        """Final outcome of the item."""

    def fim_da_rodada(self) -> None:
        """Once per polling round, after every status of the round was handled, and once at the end
        (e.g. write the round's log lines in one go)."""

    def interrompido(self, item: ItemLote, cancelado: bool) -> None:
        """The batch was interrupted (Dagster run terminated, Ctrl-C) while the item's job was in flight;
        ``cancelado``: the robot cancelled it (False: it had already finished, a later run adopts its result)."""


class _Fase(StrEnum):
    SUBMETENDO = "submetendo"
    ACOMPANHANDO = "acompanhando"
    BUSCANDO = "buscando"  # job done, fetching and checking the PDF: no robot slot taken


@dataclass
class _Acompanhamento:
    item: ItemLote
    fase: _Fase
    criado: float
    inicio: float = 0.0  # when the job id became known (job timeout counts from here)
    linhas_vistas: int = 0
    futuro: Future | None = None
    resultado: ResultadoDownload | None = None


class _Lote:
    def __init__(
        self,
        client: RpaClient,
        callbacks: CallbacksLote,
        object_store: ObjectStore | None,
        bucket: str | None,
        max_concorrencia: int,
        max_por_operadora: int,
        job_timeout_s: float,
        relogio: Callable[[], float],
    ):
        self.client, self.callbacks, self.object_store, self.bucket = client, callbacks, object_store, bucket
        self.max_concorrencia, self.max_por_operadora = max_concorrencia, max_por_operadora
        self.job_timeout_s, self.relogio = job_timeout_s, relogio
        self.arquivos: ThreadPoolExecutor | None = None  # file downloads + preparar_pdf, apart from the submits
        self.fila: deque[ItemLote] = deque()
        self.ativos: list[_Acompanhamento] = []
        self.desfechos: dict[str, Desfecho] = {}
        self.houve_resposta = False
        self.falhas_globais = 0
        self.erro_global: RpaErro | None = None

    # ------------------------------------------------------------------ bookkeeping

    def _callback(self, nome: str, *args: Any) -> bool:
        try:
            getattr(self.callbacks, nome)(*args)
        except Exception:
            log.exception("callback %s falhou (processo %s)", nome, args[0].chave)
            return False
        return True

    def fim_da_rodada(self) -> None:
        try:
            self.callbacks.fim_da_rodada()
        except Exception:
            log.exception("callback fim_da_rodada falhou")

    def _concluir(self, item: ItemLote, desfecho: Desfecho) -> None:
        self.desfechos[item.chave] = desfecho
        nivel = logging.INFO if desfecho.tipo is TipoDesfecho.COMPLETED else logging.WARNING
        log.log(nivel, "processo %s (job %s): %s %s", item.chave, desfecho.job_id, desfecho.tipo,
                f"[{desfecho.classe}] {desfecho.mensagem}" if desfecho.mensagem else "")
        self._callback("concluido", item, desfecho)

    def _falhar(self, a: _Acompanhamento, mensagem: str, classe: ClasseFalha = ClasseFalha.TRANSITORIA,
                incerto: bool = False) -> None:
        if a in self.ativos:
            self.ativos.remove(a)
        desfecho = Desfecho(
            TipoDesfecho.FAILED, a.item.job_id, classe=classe, mensagem=self.client.redigir(mensagem),
            duracao_s=self.relogio() - a.criado, incerto=incerto,
        )
        self._concluir(a.item, desfecho)

    def _erro_global(self, exc: RpaErro) -> None:
        self.falhas_globais += 1
        self.erro_global = exc

    @property
    def api_perdida(self) -> bool:
        return politica.api_perdida(self.houve_resposta, self.falhas_globais)

    # ------------------------------------------------------------------ submits

    def lancar(self, pool: ThreadPoolExecutor) -> None:
        ocupados = [a for a in self.ativos if a.fase is not _Fase.BUSCANDO]
        por_operadora = Counter(a.item.operadora.upper() for a in ocupados)
        em_voo = len(ocupados)
        adiados: deque[ItemLote] = deque()
        while self.fila and em_voo < self.max_concorrencia:
            item = self.fila.popleft()
            operadora = item.operadora.upper()
            if por_operadora[operadora] >= self.max_por_operadora:
                adiados.append(item)
                continue
            a = _Acompanhamento(item, _Fase.SUBMETENDO, criado=self.relogio())
            if not self._callback("antes_de_submeter", item):
                self._falhar(a, "antes_de_submeter falhou; job não submetido")
                continue
            a.futuro = pool.submit(self._submeter, item)
            self.ativos.append(a)
            por_operadora[operadora] += 1
            em_voo += 1
        self.fila.extendleft(reversed(adiados))

    def _submeter(self, item: ItemLote) -> JobAceito:
        if isinstance(item.pedido, PedidoSat):
            return self.client.submeter_sat(item.pedido, item.ignorar_jobs)
        return self.client.submeter_download(item.operadora, item.pedido, item.ignorar_jobs)

    def _buscar_pdf(self, item: ItemLote, resultado: ResultadoDownload) -> tuple[bytes, Any]:
        pdf = ler_arquivo_fatura(resultado.arquivo_fatura, self.object_store, self.client, self.bucket)
        return pdf, self.callbacks.preparar_pdf(item, resultado, pdf)

    def colher(self) -> None:
        """Results of finished submits and file downloads."""
        for a in [a for a in self.ativos if a.futuro is not None and a.futuro.done()]:
            futuro, a.futuro = a.futuro, None
            exc = futuro.exception()
            if a.fase is _Fase.SUBMETENDO:
                self._submit_colhido(a, futuro, exc)
            elif exc is None:
                self.ativos.remove(a)
                pdf, preparo = futuro.result()
                desfecho = Desfecho(
                    TipoDesfecho.COMPLETED, a.item.job_id, resultado=a.resultado, pdf=pdf, preparo=preparo,
                    duracao_s=self.relogio() - a.criado,
                )
                self._concluir(a.item, desfecho)
            else:
                if not isinstance(exc, RpaErro):  # not the API's answer: keep the traceback for whoever fixes it
                    log.warning("processo %s: falha ao tratar o arquivo da fatura", a.item.chave, exc_info=exc)
                self._falhar(a, f"arquivo da fatura: {exc}")

    def _submit_colhido(self, a: _Acompanhamento, futuro: Future, exc: BaseException | None) -> None:
        if exc is not None:
            if isinstance(exc, _FALHAS_GLOBAIS):
                self._erro_global(exc)
            elif isinstance(exc, RpaErro):
                self.houve_resposta = True
            self._falhar(a, f"submissão falhou: {exc}", incerto=isinstance(exc, EnvioIncerto))
            return
        self.houve_resposta = True
        aceito: JobAceito = futuro.result()
        a.item.job_id, a.fase, a.inicio = aceito.job_id, _Fase.ACOMPANHANDO, self.relogio()
        self._callback("submetido", a.item, aceito.job_id)

    # ------------------------------------------------------------------ polling

    def consultar(self, pool: ThreadPoolExecutor) -> None:
        """One status call per job being followed (plus its log when the status does not carry it)."""
        for a in [a for a in self.ativos if a.fase is _Fase.ACOMPANHANDO]:
            if self.fila and not self.api_perdida:
                self.lancar(pool)  # refill now the robot slots the jobs polled so far have freed, not after the round
            try:
                estado = self.client.status(a.item.job_id)
            except JobNaoEncontrado as exc:
                self.houve_resposta = True
                self._falhar(a, str(exc))
                continue
            except (RpaIndisponivel, RespostaInvalida) as exc:
                if isinstance(exc, RpaIndisponivel):
                    self._erro_global(exc)
                log.warning("processo %s: status indisponível nesta rodada: %s", a.item.chave, exc)
                self._verificar_prazo(a)
                continue
            except RpaErro as exc:
                if isinstance(exc, RpaNaoAutorizado):
                    self._erro_global(exc)
                self._falhar(a, f"consulta de status: {exc}")
                continue
            self.houve_resposta = True
            self._repassar_logs(a, estado)
            if estado.concluido:
                self._ao_concluir(a, estado)
            elif estado.falhou:
                self._falhar(a, estado.error or "job FAILED sem mensagem", classificar_falha(estado.error))
            else:
                self._verificar_prazo(a)

    def _repassar_logs(self, a: _Acompanhamento, estado: StatusJob) -> None:
        linhas = estado.logs
        if linhas is None:
            try:
                linhas = self.client.logs(a.item.job_id)
            except RpaErro as exc:
                log.debug("processo %s: logs indisponíveis: %s", a.item.chave, exc)
                return
        novas = linhas[a.linhas_vistas:] if len(linhas) >= a.linhas_vistas else linhas
        a.linhas_vistas = len(linhas)
        if novas:
            self._callback("ao_log", a.item, novas)

    def _ao_concluir(self, a: _Acompanhamento, estado: StatusJob) -> None:
        if isinstance(a.item.pedido, PedidoSat):
            self.ativos.remove(a)
            desfecho = Desfecho(TipoDesfecho.COMPLETED, a.item.job_id, resultado=estado.result or {},
                                duracao_s=self.relogio() - a.criado)
            self._concluir(a.item, desfecho)
            return
        try:
            a.resultado = ResultadoDownload.model_validate(estado.result or {})
        except ValidationError as exc:
            erros = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            self._falhar(a, f"resultado fora do contrato: {erros}")
            return
        if self.object_store is None:
            self.ativos.remove(a)
            desfecho = Desfecho(
                TipoDesfecho.COMPLETED, a.item.job_id, resultado=a.resultado, duracao_s=self.relogio() - a.criado
            )
            self._concluir(a.item, desfecho)
            return
        a.fase = _Fase.BUSCANDO
        a.futuro = self.arquivos.submit(self._buscar_pdf, a.item, a.resultado)

    def _verificar_prazo(self, a: _Acompanhamento) -> None:
        """Past the job timeout: cancel; if the job had already finished (or cannot be cancelled), ask its status
        once more, so a job that completed during a status outage is concluded, not repeated."""
        if not politica.prazo_esgotado(self.relogio() - a.inicio, self.job_timeout_s):
            return
        try:
            cancelado = self.client.cancelar(a.item.job_id)
        except RpaErro as exc:
            cancelado = False
            log.warning("processo %s: não foi possível cancelar o job %s: %s", a.item.chave, a.item.job_id, exc)
        if not cancelado:
            try:
                estado = self.client.status(a.item.job_id)
            except RpaErro:
                estado = None
            if estado is not None and estado.concluido:
                self._ao_concluir(a, estado)
                return
            if estado is not None and estado.falhou:
                self._falhar(a, estado.error or "job FAILED sem mensagem", classificar_falha(estado.error))
                return
        self.ativos.remove(a)
        mensagem = f"sem conclusão em {self.job_timeout_s:.0f} s" + (
            "; job cancelado" if cancelado else "; o job não pôde ser cancelado e pode ainda terminar")
        self._concluir(a.item, Desfecho(TipoDesfecho.TIMEOUT, a.item.job_id, mensagem=mensagem,
                                        duracao_s=self.relogio() - a.criado, incerto=not cancelado))

    def interromper(self) -> None:
        """Interrupted: cancel every job still running at the robot (waiting for submits in flight to learn their
        job ids), so nothing keeps running for a run that no longer follows it."""
        for a in list(self.ativos):
            if a.fase is _Fase.SUBMETENDO and a.futuro is not None:
                try:
                    aceito: JobAceito = a.futuro.result(timeout=_ESPERA_SUBMIT_AO_INTERROMPER_S)
                except BaseException:  # noqa: BLE001 - no job id known: nothing to cancel
                    continue
                a.item.job_id, a.fase = aceito.job_id, _Fase.ACOMPANHANDO
                self._callback("submetido", a.item, aceito.job_id)
            if a.fase is not _Fase.ACOMPANHANDO:
                continue  # BUSCANDO: the job already completed; its result is adopted by the next run
            try:
                cancelado = self.client.cancelar(a.item.job_id)
            except RpaErro as exc:
                log.warning("processo %s: job %s não cancelado na interrupção: %s", a.item.chave, a.item.job_id, exc)
                continue
            log.warning("processo %s: execução interrompida; job %s %s", a.item.chave, a.item.job_id,
                        "cancelado" if cancelado else "já havia terminado")
            self._callback("interrompido", a.item, cancelado)

    def desistir(self) -> None:
        """The API never answered: end what is queued or followed without wasting more calls."""
        motivo = f"API do robô indisponível: {self.erro_global}"
        while self.fila:
            item = self.fila.popleft()
            self._falhar(_Acompanhamento(item, _Fase.SUBMETENDO, criado=self.relogio()), motivo)
        for a in [a for a in self.ativos if a.fase is _Fase.ACOMPANHANDO]:
            self._falhar(a, motivo, incerto=True)  # the job exists and may still finish: follow it later


def parametros_lote(settings: Settings) -> dict[str, Any]:
    """The batch limits from the settings: ``executar_lote(client, itens, **parametros_lote(settings), ...)``."""
    return {
        "max_concorrencia": settings.rpa_max_concurrency,
        "max_por_operadora": settings.rpa_max_concurrency_por_operadora,
        "job_timeout_s": settings.rpa_job_timeout_s,
        "poll_interval_s": settings.rpa_poll_interval_s,
        "bucket": settings.s3_bucket,
    }


def executar_lote(
    client: RpaClient,
    itens: Iterable[ItemLote],
    *,
    max_concorrencia: int,
    max_por_operadora: int,
    job_timeout_s: float,
    poll_interval_s: float,
    callbacks: CallbacksLote | None = None,
    object_store: ObjectStore | None = None,
    bucket: str | None = None,
    relogio: Callable[[], float] = time.monotonic,
    dormir: Callable[[float], None] = time.sleep,
) -> dict[str, Desfecho]:
    """Run every item to an outcome and return ``{chave: Desfecho}``.

    At most ``max_concorrencia`` jobs (``max_por_operadora`` per carrier) are in flight; items with a
    ``job_id`` are only followed. With ``object_store``, a completed download is COMPLETED only once
    its file was fetched and is a PDF. Raises ``RpaIndisponivel`` (or ``RpaNaoAutorizado``) at the end,
    after every item was reported, when the API never answered during the whole batch; ``ValueError``
    if two items share a ``chave``.
    """
    lote = _Lote(
        client, callbacks or CallbacksLote(), object_store, bucket, max_concorrencia, max_por_operadora,
        job_timeout_s, relogio,
    )
    itens = list(itens)
    repetidas = [chave for chave, n in Counter(item.chave for item in itens).items() if n > 1]
    if repetidas:
        raise ValueError(f"processo_id repetido no lote: {repetidas[:5]}")
    for item in itens:
        if isinstance(item.pedido, PedidoDownload):
            client.registrar_segredo(item.pedido.senha.get_secret_value())
        if item.job_id:
            agora = relogio()
            lote.ativos.append(_Acompanhamento(item, _Fase.ACOMPANHANDO, criado=agora, inicio=agora))
        else:
            lote.fila.append(item)
    log.info("lote: %d itens (%d adotados)", len(itens), len(lote.ativos))
    with (ThreadPoolExecutor(max_workers=max_concorrencia + 2, thread_name_prefix="rpa-lote") as pool,
          ThreadPoolExecutor(max_workers=max_concorrencia, thread_name_prefix="rpa-arquivos") as lote.arquivos):
        try:
            rodada = relogio()
            while lote.fila or lote.ativos:
                if lote.api_perdida:
                    lote.desistir()
                lote.lancar(pool)
                dormir(max(0.0, poll_interval_s - (relogio() - rodada)))  # one round per interval, work included
                rodada = relogio()
                lote.colher()
                lote.consultar(pool)
                lote.fim_da_rodada()
        except BaseException as exc:
            if not isinstance(exc, Exception):  # an interrupt (run terminated), not a failure of this batch
                lote.interromper()
            raise
        finally:
            lote.fim_da_rodada()
    contagem = Counter(d.tipo for d in lote.desfechos.values())
    log.info("lote concluído: %s", dict(contagem))
    if itens and not lote.houve_resposta and lote.erro_global is not None:
        raise lote.erro_global
    return lote.desfechos

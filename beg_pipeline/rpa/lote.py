"""Batch runner: submit many robot jobs with bounded concurrency, follow them all, report each outcome.

Every callback runs in the thread that called ``executar_lote`` (so it may write to the
database without locking games), except ``preparar_pdf``. The HTTP submits, the status calls, and the file downloads
with ``preparar_pdf`` run in three thread pools, so the loop keeps robot slots busy while statuses are asked and
files are handled; it never waits on a call: between rounds it harvests each call as it finishes.

Robot slots come from a ``Vagas`` budget (``rpa.vagas``): one slot is taken before each submit and freed when the job
ends; a batch that finds none free keeps following its own jobs and asks again every round. Polling does not grow
with the round trip: one ``GET /jobs?limit=`` per round, and ``GET /status`` (concurrently) only for the jobs whose
state changed or that the list does not show.

Over 400 lines: one batch loop (submits, polling, outcomes) whose parts share its state; split, they would pass
that state around.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from beg_pipeline.domain import politica_tentativas as politica
from beg_pipeline.rpa.contrato import (
    ESTADOS_TERMINAIS,
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
from beg_pipeline.rpa.vagas import Vagas, VagasLocais

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
    (except in ``antes_de_submeter``/``antes_de_submeter_lote``: the item is then not submitted and ends FAILED; and
    in ``preparar_pdf``:
    the item ends FAILED as when its file cannot be fetched)."""

    def antes_de_submeter(self, item: ItemLote) -> None:
        """Right before the submit (e.g. write the execution row)."""

    def antes_de_submeter_lote(self, itens: list[ItemLote]) -> dict[str, str]:
        """Right before a round's submits (e.g. write their execution rows in one transaction); returns
        ``{chave: reason}`` of the items that must not be submitted. Default: ``antes_de_submeter`` per item."""
        recusados = {}
        for item in itens:
            try:
                self.antes_de_submeter(item)
            except Exception:
                log.exception("callback antes_de_submeter falhou (processo %s)", item.chave)
                recusados[item.chave] = "antes_de_submeter falhou; job não submetido"
        return recusados

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
        """Once per polling round, after the statuses that arrived since the last round were handled, and once at
        the end (e.g. write the round's log lines in one go)."""

    def interrompido(self, item: ItemLote, cancelado: bool) -> None:
        """The batch was interrupted (Dagster run terminated, Ctrl-C) while the item's job was in flight;
        ``cancelado``: the robot cancelled it (False: it had already finished, a later run adopts its result)."""

    def aguardando_vaga(self, em_uso: int) -> None:
        """Items wait: the robot budget has no free slot (``em_uso`` slots held in all). Once per wait."""

    def vaga_obtida(self, espera_s: float) -> None:
        """The wait announced by ``aguardando_vaga`` ended after ``espera_s`` seconds."""


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
    futuro: Future | None = None  # the call in flight: submit, status (ACOMPANHANDO) or file (BUSCANDO)
    resultado: ResultadoDownload | None = None
    vaga: str | None = None  # the robot slot held while the job is submitted or followed
    status_visto: str | None = None  # the job's last known state: unchanged in the job list, no status call
    robo_livre: bool = False  # the job list shows it ended: its robot takes the next job while its status is asked


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
        vagas: Vagas,
    ):
        self.client, self.callbacks, self.object_store, self.bucket = client, callbacks, object_store, bucket
        self.max_concorrencia, self.max_por_operadora = max_concorrencia, max_por_operadora
        self.job_timeout_s, self.relogio, self.vagas = job_timeout_s, relogio, vagas
        self.liberar: list[str] = []  # slots to free at the next exchange with the budget
        self.associar: dict[str, str] = {}  # slot -> job id, recorded at the next exchange
        self.aguardando_desde: float | None = None
        self.envios: ThreadPoolExecutor | None = None  # submits: never queued behind a round's status calls
        self.consultas: ThreadPoolExecutor | None = None  # status calls
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

    def _soltar(self, a: _Acompanhamento) -> None:
        """The job no longer takes a robot: its slot is freed at the next exchange with the budget."""
        if a.vaga is not None:
            self.liberar.append(a.vaga)
            self.associar.pop(a.vaga, None)
            a.vaga = None

    def _falhar(self, a: _Acompanhamento, mensagem: str, classe: ClasseFalha = ClasseFalha.TRANSITORIA,
                incerto: bool = False) -> None:
        self._soltar(a)
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

    def lancar(self) -> None:
        """Submit queued items within this batch's caps and the slots the budget grants; free the slots of jobs
        that ended. Items without a slot stay queued for the next round."""
        ocupados = [a for a in self.ativos if a.fase is not _Fase.BUSCANDO and not a.robo_livre]
        por_operadora = Counter(a.item.operadora.upper() for a in ocupados)
        livres = self.max_concorrencia - len(ocupados)
        candidatos: list[ItemLote] = []
        adiados: deque[ItemLote] = deque()
        while self.fila and len(candidatos) < livres:
            item = self.fila.popleft()
            operadora = item.operadora.upper()
            if por_operadora[operadora] >= self.max_por_operadora:
                adiados.append(item)
                continue
            candidatos.append(item)
            por_operadora[operadora] += 1
        self.fila.extendleft(reversed(adiados))
        if not candidatos and not self.liberar and not self.associar:
            return
        try:
            acerto = self.vagas.acertar(self.liberar, self.associar, [i.operadora.upper() for i in candidatos])
        except BaseException:
            self.fila.extendleft(reversed(candidatos))
            raise
        self.liberar, self.associar = [], {}
        negados = [item for item, vaga in zip(candidatos, acerto.vagas, strict=True) if vaga is None]
        concedidos = [(item, vaga) for item, vaga in zip(candidatos, acerto.vagas, strict=True) if vaga is not None]
        recusados = self._antes_de_submeter([item for item, _ in concedidos])
        for item, vaga in concedidos:
            a = _Acompanhamento(item, _Fase.SUBMETENDO, criado=self.relogio(), vaga=vaga)
            if item.chave in recusados:
                self._falhar(a, recusados[item.chave])
                continue
            a.futuro = self.envios.submit(self._submeter, item)
            self.ativos.append(a)
        self.fila.extendleft(reversed(negados))
        if candidatos:
            self._espera(bool(negados), acerto.em_uso)

    def _antes_de_submeter(self, itens: list[ItemLote]) -> dict[str, str]:
        if not itens:
            return {}
        try:
            return self.callbacks.antes_de_submeter_lote(itens)
        except Exception:
            log.exception("callback antes_de_submeter_lote falhou (%d processos)", len(itens))
            return dict.fromkeys((item.chave for item in itens), "antes_de_submeter falhou; job não submetido")

    def _espera(self, sem_vaga: bool, em_uso: int) -> None:
        if sem_vaga and self.aguardando_desde is None:
            self.aguardando_desde = self.relogio()
            log.info("aguardando vaga de robô (%d em uso)", em_uso)
            self._callback_geral("aguardando_vaga", em_uso)
        elif not sem_vaga and self.aguardando_desde is not None:
            self.fim_da_espera()

    def fim_da_espera(self) -> None:
        if self.aguardando_desde is not None:
            espera = self.relogio() - self.aguardando_desde
            self.aguardando_desde = None
            self._callback_geral("vaga_obtida", espera)

    def _callback_geral(self, nome: str, *args: Any) -> None:
        try:
            getattr(self.callbacks, nome)(*args)
        except Exception:
            log.exception("callback %s falhou", nome)

    def _submeter(self, item: ItemLote) -> JobAceito:
        if isinstance(item.pedido, PedidoSat):
            return self.client.submeter_sat(item.pedido, item.ignorar_jobs)
        return self.client.submeter_download(item.operadora, item.pedido, item.ignorar_jobs)

    def _buscar_pdf(self, item: ItemLote, resultado: ResultadoDownload) -> tuple[bytes, Any]:
        pdf = ler_arquivo_fatura(resultado.arquivo_fatura, self.object_store, self.client, self.bucket)
        return pdf, self.callbacks.preparar_pdf(item, resultado, pdf)

    def colher(self) -> None:
        """Results of finished submits, status calls and file downloads."""
        for a in [a for a in self.ativos if a.futuro is not None and a.futuro.done()]:
            futuro, a.futuro = a.futuro, None
            exc = futuro.exception()
            if a.fase is _Fase.SUBMETENDO:
                self._submit_colhido(a, futuro, exc)
            elif a.fase is _Fase.ACOMPANHANDO:
                if exc is None:
                    self._status_recebido(a, futuro.result())
                else:
                    self._status_falhou(a, exc)
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
        # an adopted job (uncertain submit) may already be done: its status is asked in the next round
        a.status_visto = None if aceito.adotado or aceito.status in ESTADOS_TERMINAIS else aceito.status
        if a.vaga is not None:
            self.associar[a.vaga] = aceito.job_id
        self._callback("submetido", a.item, aceito.job_id)

    # ------------------------------------------------------------------ polling

    def esperar(self, ate: float) -> None:
        """Until ``ate`` (``relogio``), harvesting submits, statuses and files as each finishes; returns early once
        the batch has nothing left."""
        while self.fila or self.ativos:
            restante = ate - self.relogio()
            if restante <= 0:
                return
            em_voo = [a.futuro for a in self.ativos if a.futuro is not None]
            if not em_voo:
                time.sleep(restante)
                return
            if wait(em_voo, timeout=restante, return_when=FIRST_COMPLETED).done:
                self.colher()

    def consultar(self) -> None:
        """One ``GET /jobs?limit=`` for the states of every job followed; then ``GET /status``, in the background,
        for the jobs whose state changed or that the list does not show (all of them when the list fails). Jobs the
        list shows ended free their robot slots at once, and the queue's next jobs are submitted before their
        statuses (results and logs) are asked. A job whose status call is still in flight is not asked again."""
        seguidos = [a for a in self.ativos if a.fase is _Fase.ACOMPANHANDO]
        if not seguidos:
            return
        estados = self._lista_de_jobs(len(seguidos))
        mudaram = []
        for a in seguidos:
            if a.futuro is not None:
                continue
            listado = estados.get(a.item.job_id) if estados is not None else None
            if listado is not None and listado == a.status_visto:
                self._verificar_prazo(a)  # unchanged: no status call
                continue
            mudaram.append(a)
            if listado in ESTADOS_TERMINAIS:
                a.robo_livre = True
                self._soltar(a)
        if self.fila and any(a.robo_livre for a in mudaram):
            self.lancar()
        for a in mudaram:
            a.futuro = self.consultas.submit(self.client.status, a.item.job_id)

    def _lista_de_jobs(self, seguidos: int) -> dict[str, str | None] | None:
        """``{job_id: status}`` of the newest jobs; None when the list cannot be read (every job is then asked)."""
        limite = min(1000, seguidos + 4 * self.max_concorrencia + 50)
        try:
            jobs = self.client.jobs(limite)
        except RpaErro as exc:
            log.debug("lista de jobs indisponível nesta rodada: %s", exc)
            return None
        self.houve_resposta = True
        return {job.job_id: job.status for job in jobs}

    def _status_falhou(self, a: _Acompanhamento, exc: BaseException) -> None:
        if isinstance(exc, JobNaoEncontrado):
            self.houve_resposta = True
            self._falhar(a, str(exc))
        elif isinstance(exc, (RpaIndisponivel, RespostaInvalida)):
            if isinstance(exc, RpaIndisponivel):
                self._erro_global(exc)
            log.warning("processo %s: status indisponível nesta rodada: %s", a.item.chave, exc)
            self._verificar_prazo(a)
        elif isinstance(exc, RpaErro):
            if isinstance(exc, RpaNaoAutorizado):
                self._erro_global(exc)
            self._falhar(a, f"consulta de status: {exc}")
        else:
            raise exc

    def _status_recebido(self, a: _Acompanhamento, estado: StatusJob) -> None:
        self.houve_resposta = True
        a.status_visto = estado.status
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
        self._soltar(a)  # the robot is done; fetching the file takes no robot slot
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
            if estado is not None:
                self._repassar_logs(a, estado)
            if estado is not None and estado.concluido:
                self._ao_concluir(a, estado)
                return
            if estado is not None and estado.falhou:
                self._falhar(a, estado.error or "job FAILED sem mensagem", classificar_falha(estado.error))
                return
        self._soltar(a)
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


def chamadas_simultaneas(max_concorrencia: int) -> int:
    """Threads of each pool of a batch (submits; status calls; file downloads): one per slot, bounded — past a few
    dozen, more threads only contend for the GIL."""
    return min(max_concorrencia + 2, 48)


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
    dormir: Callable[[float], None] | None = None,
    vagas: Vagas | None = None,
) -> dict[str, Desfecho]:
    """Run every item to an outcome and return ``{chave: Desfecho}``.

    At most ``max_concorrencia`` jobs (``max_por_operadora`` per carrier) of this batch are in flight, and each
    submit takes a slot of ``vagas`` (default: a budget of this batch alone); items with a ``job_id`` are only
    followed (their slots are adopted). With ``object_store``, a completed download is COMPLETED only once its file
    was fetched and is a PDF. Between rounds the loop harvests each call as it finishes (``dormir``, when given,
    replaces that wait: tests drive time with it). Raises ``RpaIndisponivel`` (or ``RpaNaoAutorizado``) at the end,
    after every item was reported, when the API never answered during the whole batch; ``ValueError``
    if two items share a ``chave``.
    """
    lote = _Lote(
        client, callbacks or CallbacksLote(), object_store, bucket, max_concorrencia, max_por_operadora,
        job_timeout_s, relogio, vagas or VagasLocais(max_concorrencia, max_por_operadora),
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
    simultaneas = chamadas_simultaneas(max_concorrencia)
    with (ThreadPoolExecutor(max_workers=simultaneas, thread_name_prefix="rpa-status") as lote.consultas,
          ThreadPoolExecutor(max_workers=simultaneas, thread_name_prefix="rpa-envios") as lote.envios,
          ThreadPoolExecutor(max_workers=simultaneas, thread_name_prefix="rpa-arquivos") as lote.arquivos):
        try:
            if lote.ativos:
                adotadas = lote.vagas.adotar([(a.item.operadora.upper(), a.item.job_id) for a in lote.ativos])
                for a, vaga in zip(lote.ativos, adotadas, strict=True):
                    a.vaga = vaga
            rodada = relogio()
            while lote.fila or lote.ativos:
                if lote.api_perdida:
                    lote.desistir()
                lote.lancar()
                if dormir is None:  # one round per interval, work included
                    lote.esperar(rodada + poll_interval_s)
                else:
                    dormir(max(0.0, poll_interval_s - (relogio() - rodada)))
                rodada = relogio()
                lote.vagas.renovar()
                lote.colher()
                lote.consultar()
                lote.fim_da_rodada()
        except BaseException as exc:
            if not isinstance(exc, Exception):  # an interrupt (run terminated), not a failure of this batch
                lote.interromper()
            raise
        finally:
            lote.fim_da_espera()
            lote.fim_da_rodada()
            try:
                lote.vagas.encerrar()
            except Exception:  # slots not freed expire on their own; the outcomes matter more
                log.exception("vagas de robô não liberadas; expiram sozinhas")
    contagem = Counter(d.tipo for d in lote.desfechos.values())
    log.info("lote concluído: %s", dict(contagem))
    if itens and not lote.houve_resposta and lote.erro_global is not None:
        raise lote.erro_global
    return lote.desfechos

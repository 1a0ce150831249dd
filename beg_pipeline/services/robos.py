"""A month's robot work — invoice downloads and SAT uploads — with adoption, retries and every outcome recorded.

One process's failure never fails the others; only an unreachable robot API ends the run in error
(after every outcome was written).

Over 400 lines on purpose: downloads and SAT uploads share adoption, slot hooks, registration and the retry loop,
which read best next to each other.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from beg_pipeline.db.models import Cliente, Execucao, Operadora, Processo
from beg_pipeline.domain import calendario, formatos
from beg_pipeline.domain import politica_tentativas as politica
from beg_pipeline.domain.cadastro import ROTULO_SEM_CREDENCIAIS, sem_credenciais
from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.faturas.leitura import conferencias, ler_fatura
from beg_pipeline.faturas.validacao_pdf import PdfRecusado, validar_pdf
from beg_pipeline.rpa.contrato import (
    LogLinha,
    PedidoDownload,
    PedidoSat,
    ResultadoDownload,
    RpaClient,
    RpaErro,
    TipoRef,
    chave_do_robo,
    parse_instante,
)
from beg_pipeline.rpa.lote import CallbacksLote, Desfecho, ItemLote, TipoDesfecho, executar_lote, parametros_lote
from beg_pipeline.seguranca import SegredoIlegivel
from beg_pipeline.services import notificacoes, processos, rodada_robos
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.vagas_robo import VagasRobo
from beg_pipeline.storage.base import ObjectStore, chave_fatura

Log = Callable[[str], None]
_log = logging.getLogger(__name__)
Preparo = Callable[["Trabalho", ResultadoDownload, bytes], Any]
ConcluirLote = Callable[[list[tuple["Trabalho", Desfecho]]], dict[uuid.UUID, Exception | None]]
"""Records a round's completed jobs (in one transaction); per process: None, or why it could not be recorded."""
INTERVALO_ANDAMENTO_S = 30.0  # a progress event in the run's log at most this often
SINAL_VALOR_DIVERGENTE = "valor_divergente"  # in resultado_saida["sinais"]: the robot's amount differs from the PDF's


@dataclass
class Trabalho:
    """One process's robot work in this run."""

    processo_id: uuid.UUID
    cliente: str
    operadora: str
    pedido: PedidoDownload | PedidoSat
    execucao_id: uuid.UUID | None = None
    job_id: str | None = None
    adotado: bool = False
    conhecidos: set[str] = field(default_factory=set)  # job ids of the process's other attempts
    incerto: bool = False  # the last submit may have created a job nobody knows the id of
    inicio_tentativa: dt.datetime | None = None


@dataclass
class ResumoRobos:
    mes_ano: str
    tipo: TipoExecucao
    concluidos: int = 0
    falhas: Counter = field(default_factory=Counter)  # by failure class, or TIMEOUT
    adotados: int = 0
    submissoes: int = 0
    pendentes: int = 0  # not attempted in this run (credentials, not yet published today, no robot, …)
    esperas_por_vaga: int = 0  # times the run found the shared robot budget full
    espera_por_vaga_s: float = 0.0
    linhas: list[dict[str, Any]] = field(default_factory=list)

    def metadados(self) -> dict[str, int | float]:
        return {"concluidos": self.concluidos, "adotados": self.adotados, "submissoes": self.submissoes,
                "pendentes": self.pendentes, "esperas_por_vaga": self.esperas_por_vaga,
                "espera_por_vaga_s": round(self.espera_por_vaga_s, 1),
                **{f"falhas_{k.lower()}": v for k, v in sorted(self.falhas.items())}}


class _Registro(CallbacksLote):
    """Writes every step of the batch to the database and the run's log."""

    def __init__(self, ctx: Contexto, tipo: TipoExecucao, trabalhos: dict[str, Trabalho], ao_concluir: ConcluirLote,
                 preparar: Preparo | None, log: Log, resumo: ResumoRobos):
        self.ctx, self.tipo, self.trabalhos, self.ao_concluir, self.preparar, self.log, self.resumo = (
            ctx, tipo, trabalhos, ao_concluir, preparar, log, resumo)
        self.desfechos: dict[str, tuple[Desfecho, str]] = {}
        self._linhas_run: list[str] = []
        self._linhas_execucao: dict[uuid.UUID, list[str]] = {}
        self._jobs: dict[uuid.UUID, str] = {}  # execution -> job id, written at the round's end
        self._concluidos: list[tuple[str, Trabalho, Desfecho]] = []  # completed jobs, recorded at the round's end
        self._andamento_em = time.monotonic()

    def antes_de_submeter_lote(self, itens: list[ItemLote]) -> dict[str, str]:
        """The round's execution rows, in one transaction, before any of its submits."""
        abertas = rodada_robos.abrir_execucoes(self.ctx, SISTEMA, self.tipo, [
            rodada_robos.PedidoExecucao(self.trabalhos[item.chave].processo_id, item.pedido.payload(redigido=True),
                                     item.operadora) for item in itens])
        recusados = {}
        for item in itens:
            trabalho = self.trabalhos[item.chave]
            aberta = abertas[trabalho.processo_id]
            if isinstance(aberta, Exception):
                recusados[item.chave] = f"execução não aberta: {aberta}"
                continue
            trabalho.execucao_id, trabalho.inicio_tentativa = aberta.id, aberta.data_inicio
            self.resumo.submissoes += 1
        return recusados

    def submetido(self, item: ItemLote, job_id: str) -> None:
        trabalho = self.trabalhos[item.chave]
        trabalho.job_id = job_id
        trabalho.conhecidos.add(job_id)
        self._jobs[trabalho.execucao_id] = job_id

    def preparar_pdf(self, item: ItemLote, resultado: ResultadoDownload, pdf: bytes) -> Any:
        return self.preparar(self.trabalhos[item.chave], resultado, pdf) if self.preparar else None

    def ao_log(self, item: ItemLote, linhas: list[LogLinha]) -> None:
        trabalho = self.trabalhos[item.chave]
        self._linhas_run += [f"{linha.timestamp or ''} {linha.level} [{trabalho.operadora}] {trabalho.cliente}: "
                             f"{linha.message}".strip() for linha in linhas]
        if trabalho.execucao_id:
            self._linhas_execucao.setdefault(trabalho.execucao_id, []).extend(
                f"{linha.timestamp or ''} {linha.level} {linha.message}".strip() for linha in linhas)

    def fim_da_rodada(self) -> None:
        """The round's robot log lines: one line per robot line, in local time, on the run's standard output (the
        step's compute log: "stdout" in the Dagster UI; written once per round, as Dagster events they would cost a
        storage write each); one transaction for the round's job ids and executions' logs, one for its completed
        jobs. A crash before the job ids are written loses nothing: the next run adopts the jobs from the robot's
        list, by processo_id."""
        if self._linhas_run:
            print("\n".join(formatos.log_em_hora_local(linha, self.ctx.settings.tz) for linha in self._linhas_run),
                  flush=True)
            self._linhas_run = []
        if time.monotonic() - self._andamento_em >= INTERVALO_ANDAMENTO_S:
            self._andamento_em = time.monotonic()
            self.log(f"andamento: {len(self.desfechos)} de {len(self.trabalhos)} processos com desfecho; os demais "
                     "seguem com os robôs (linhas dos robôs na saída stdout desta execução)")
        try:
            if self._jobs or self._linhas_execucao:
                rodada_robos.registrar_rodada(self.ctx, jobs=self._jobs, logs={
                    eid: "\n".join(linhas) for eid, linhas in self._linhas_execucao.items()})
                self._jobs, self._linhas_execucao = {}, {}
        finally:
            if self._concluidos:
                concluidos, self._concluidos = self._concluidos, []
                self._registrar_concluidos(concluidos)

    def interrompido(self, item: ItemLote, cancelado: bool) -> None:
        trabalho = self.trabalhos[item.chave]
        if cancelado and trabalho.execucao_id:
            processos.cancelar_execucao(self.ctx, SISTEMA, trabalho.execucao_id,
                                        f"execução interrompida (run encerrada): job {item.job_id} cancelado no robô")

    def aguardando_vaga(self, em_uso: int) -> None:
        self.resumo.esperas_por_vaga += 1
        self.log(f"aguardando vaga de robô ({em_uso} em uso): os limites BEG_RPA_MAX_CONCURRENCY valem para todas as "
                 "execuções; os jobs seguem quando outras execuções liberarem vagas")

    def vaga_obtida(self, espera_s: float) -> None:
        self.resumo.espera_por_vaga_s += espera_s
        self.log(f"vaga de robô obtida após {espera_s:.0f} s de espera")

    def _anunciar(self, mensagem: str) -> None:
        """Log an outcome after the robot lines that led to it (a failed log write never changes the outcome)."""
        try:
            self.fim_da_rodada()
        except Exception:  # noqa: BLE001 - the lines stay buffered; the outcome must still be recorded
            _log.warning("linhas de log do robô não gravadas nesta rodada", exc_info=True)
        self.log(mensagem)

    def concluido(self, item: ItemLote, desfecho: Desfecho) -> None:
        trabalho = self.trabalhos[item.chave]
        if trabalho.execucao_id is not None and desfecho.tipo is TipoDesfecho.COMPLETED:
            self._concluidos.append((item.chave, trabalho, desfecho))
            return
        try:
            situacao = self._registrar(trabalho, desfecho)
        except Exception as exc:  # noqa: BLE001 - one process's problem never stops the others
            self._nao_registrado(item.chave, trabalho, desfecho, exc)
            return
        self.desfechos[item.chave] = (desfecho, situacao)

    def _registrar_concluidos(self, concluidos: list[tuple[str, Trabalho, Desfecho]]) -> None:
        try:
            erros = self.ao_concluir([(trabalho, desfecho) for _, trabalho, desfecho in concluidos])
        except Exception as exc:  # noqa: BLE001 - one round's problem never stops the others
            erros = {trabalho.processo_id: exc for _, trabalho, _ in concluidos}
        for chave, trabalho, desfecho in concluidos:
            erro = erros.get(trabalho.processo_id)
            if erro is None:
                self.desfechos[chave] = (desfecho, "CONCLUIDO")
            else:
                self._nao_registrado(chave, trabalho, desfecho, erro)

    def _nao_registrado(self, chave: str, trabalho: Trabalho, desfecho: Desfecho, exc: Exception) -> None:
        falha = Desfecho(TipoDesfecho.FAILED, desfecho.job_id, classe=ClasseFalha.TRANSITORIA, mensagem=str(exc))
        try:
            self._falhar(trabalho, falha)
        finally:
            self.desfechos[chave] = (falha, f"FALHOU: {exc}")

    def _registrar(self, trabalho: Trabalho, desfecho: Desfecho) -> str:
        if trabalho.execucao_id is None:
            self._anunciar(f"{trabalho.cliente}: não submetido — {desfecho.mensagem}")
            return f"NÃO SUBMETIDO: {desfecho.mensagem}"
        if desfecho.incerto:
            self._anunciar(f"{trabalho.cliente}: resultado incerto ({desfecho.mensagem}); a tentativa fica em "
                           "andamento para a próxima execução adotar o job, sem reenviar")
            return f"INCERTO: {desfecho.mensagem}"
        self._falhar(trabalho, desfecho)
        return f"{desfecho.tipo.value}: {desfecho.mensagem}"

    def _falhar(self, trabalho: Trabalho, desfecho: Desfecho) -> None:
        if trabalho.execucao_id is None:
            return
        timeout = desfecho.tipo is TipoDesfecho.TIMEOUT
        classe = ClasseFalha(desfecho.classe) if desfecho.classe else ClasseFalha.TRANSITORIA
        processos.falhar_execucao(self.ctx, trabalho.execucao_id,
                                  StatusExecucao.TIMEOUT if timeout else StatusExecucao.FALHOU,
                                  desfecho.mensagem or "falha sem mensagem do robô", classe,
                                  {"job_id": desfecho.job_id})
        if politica.exige_pessoa(classe):
            notificacoes.notificar(
                self.ctx, f"Credenciais inválidas: {trabalho.cliente} ({trabalho.operadora})",
                f"O robô não conseguiu entrar no portal: {desfecho.mensagem}. Corrija login/senha do cliente; "
                "o download fica parado até lá.", processo_id=trabalho.processo_id)
        elif self.tipo is TipoExecucao.UPLOAD_SAT:
            notificacoes.notificar_falha_sat(self.ctx, trabalho.processo_id, trabalho.cliente, desfecho.mensagem)


def _repetir(desfecho: Desfecho) -> bool:
    """Whether the next round takes the process again (an uncertain attempt is followed or looked up, not resent)."""
    if desfecho.tipo is TipoDesfecho.COMPLETED:
        return False
    decisao = politica.decidir(desfecho.classe, timeout=desfecho.tipo is TipoDesfecho.TIMEOUT, incerto=desfecho.incerto)
    return decisao is politica.Decisao.REPETIR


def _executar(ctx: Contexto, client: RpaClient, tipo: TipoExecucao, resumo: ResumoRobos, trabalhos: list[Trabalho],
              ao_concluir: ConcluirLote, log: Log, store: ObjectStore | None,
              dormir: Callable[[float], None] | None, preparar: Preparo | None = None) -> None:
    """Rounds of one batch each: what ``politica_tentativas`` retries is retried with backoff, up to
    BEG_MAX_TENTATIVAS attempts per run.

    An uncertain attempt (the job may exist) keeps its execution open: the next round follows its job, or looks it
    up first when its id is unknown, and resubmits only once the API says no such job exists.
    """
    settings = ctx.settings
    fila = trabalhos
    rodada = 0
    vagas = VagasRobo(ctx)
    while fila and politica.resta_tentativa(rodada, settings.max_tentativas):
        if rodada:
            espera = politica.espera_entre_rodadas(rodada, settings.rpa_retry_backoff_s)
            log(f"{len(fila)} processos com falha transitória: nova tentativa em {espera:.0f} s")
            (dormir or time.sleep)(espera)
        adiados = [t for t in fila if t.incerto and t.job_id is None and not _resolver_incerto(ctx, client, t, log)]
        por_chave = {str(t.processo_id): t for t in fila if t not in adiados}
        registro = _Registro(ctx, tipo, por_chave, ao_concluir, preparar, log, resumo)
        itens = [ItemLote(chave=k, operadora=t.operadora, pedido=t.pedido, job_id=t.job_id,
                          ignorar_jobs=frozenset(t.conhecidos - {t.job_id})) for k, t in por_chave.items()]
        try:
            executar_lote(client, itens, **parametros_lote(settings), callbacks=registro, object_store=store,
                          dormir=dormir, vagas=vagas)
        finally:
            _contar(resumo, por_chave, registro.desfechos)
        rodada += 1
        fila = adiados + [t for k, t in por_chave.items()
                          if k in registro.desfechos and _repetir(registro.desfechos[k][0])]
        for t in fila:
            desfecho = registro.desfechos.get(str(t.processo_id))
            if desfecho is not None:
                t.incerto = desfecho[0].incerto
                if not t.incerto:
                    t.execucao_id, t.job_id, t.adotado = None, None, False
    for t in fila:
        resumo.linhas.append({"cliente": t.cliente, "operadora": t.operadora,
                              "situacao": "envio incerto: a próxima execução adota o job" if t.incerto
                              else "aguarda a próxima execução"})
        if not t.incerto:
            notificacoes.notificar_tentativas_esgotadas(ctx, t.processo_id, tipo.value, t.cliente, rodada)


def _resolver_incerto(ctx: Contexto, client: RpaClient, trabalho: Trabalho, log: Log) -> bool:
    """An attempt whose submit may have created a job: adopt the job, or close the attempt when the API has none.
    False while the API cannot tell (the attempt stays open)."""
    try:
        job = client.encontrar_job(str(trabalho.processo_id), desde=trabalho.inicio_tentativa,
                                   ignorar=frozenset(trabalho.conhecidos))
    except RpaErro as exc:
        log(f"{trabalho.cliente}: o envio anterior segue incerto ({exc})")
        return False
    if job is not None:
        rodada_robos.registrar_job(ctx, trabalho.execucao_id, job.job_id)
        trabalho.job_id = job.job_id
        trabalho.conhecidos.add(job.job_id)
        log(f"{trabalho.cliente}: o envio incerto criou o job {job.job_id}; adotado")
    else:
        processos.falhar_execucao(ctx, trabalho.execucao_id, StatusExecucao.FALHOU,
                                  "envio incerto: o robô não recebeu o pedido (nenhum job encontrado)",
                                  ClasseFalha.TRANSITORIA)
        trabalho.execucao_id, trabalho.incerto = None, False
    return True


def _contar(resumo: ResumoRobos, por_chave: dict[str, Trabalho], desfechos: dict[str, tuple[Desfecho, str]]) -> None:
    for chave, (desfecho, situacao) in desfechos.items():
        trabalho = por_chave[chave]
        if situacao == "CONCLUIDO":
            resumo.concluidos += 1
        elif desfecho.incerto:
            resumo.falhas["INCERTO"] += 1
        else:
            resumo.falhas[desfecho.tipo.value if desfecho.tipo is TipoDesfecho.TIMEOUT
                          else (desfecho.classe or ClasseFalha.TRANSITORIA).value] += 1
        resumo.linhas.append({"cliente": trabalho.cliente, "operadora": trabalho.operadora,
                              "job_id": desfecho.job_id or "", "situacao": situacao[:200]})


def _adotar(ctx: Contexto, client: RpaClient, tipo: TipoExecucao, trabalhos: list[Trabalho],
            candidatos: dict[uuid.UUID, dt.datetime], log: Log) -> None:
    """Adopt in-flight work instead of submitting again: executions still EXECUTANDO in the database, and jobs
    the API holds for a processo_id whose execution the database lost."""
    pids = [t.processo_id for t in trabalhos]
    with ctx.db.leitura() as s:
        execucoes = list(s.scalars(select(Execucao).where(Execucao.processo_id.in_(pids))))
    em_andamento = {e.processo_id: e for e in execucoes
                    if e.tipo_execucao == tipo.value and e.status_execucao == StatusExecucao.EXECUTANDO.value}
    conhecidos = {e.job_id for e in execucoes if e.job_id}  # never adopt a job another attempt already owns
    for trabalho in trabalhos:
        trabalho.conhecidos = {e.job_id for e in execucoes if e.job_id and e.processo_id == trabalho.processo_id}
    jobs_api = {}
    limite = min(max(client.limite_busca_jobs, 2 * len(trabalhos)), 10_000)
    for job in reversed(client.jobs(limite)):  # oldest first, so the newest wins
        if job.processo_id and job.job_id not in conhecidos:
            jobs_api[job.processo_id] = job
    for trabalho in trabalhos:
        execucao = em_andamento.get(trabalho.processo_id)
        job = jobs_api.get(str(trabalho.processo_id))
        desde = execucao.data_inicio if execucao else candidatos[trabalho.processo_id]
        criado = parse_instante(job.created_at) if job else None
        job_recente = job is not None and (criado is None or criado >= desde - client.folga_relogio)
        if execucao is not None and execucao.job_id:
            trabalho.execucao_id, trabalho.job_id = execucao.id, execucao.job_id
        elif job_recente:  # in any state: a job that finished meanwhile is concluded from its result, not redone
            if execucao is None:
                execucao = processos.abrir_execucao(ctx, SISTEMA, trabalho.processo_id, tipo,
                                                    parametros=trabalho.pedido.payload(redigido=True),
                                                    classe_rpa=trabalho.operadora)
            rodada_robos.registrar_job(ctx, execucao.id, job.job_id)
            trabalho.execucao_id, trabalho.job_id = execucao.id, job.job_id
        elif execucao is not None:
            processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU,
                                      "execução interrompida antes do envio ao robô", ClasseFalha.TRANSITORIA)
            continue
        else:
            continue
        trabalho.adotado = True
        log(f"{trabalho.cliente}: adotando o job {trabalho.job_id} já em andamento")


def _motivo(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
    return str(exc)


def _processos_do_mes(ctx: Contexto, mes_ano: str, status: StatusProcesso, processo_id: uuid.UUID | None = None,
                      operadora: str | None = None):
    """The month's processes in ``status`` with their client and carrier (only ``processo_id`` when given: a run
    launched for one process; only ``operadora``'s when given: one month split into runs per carrier)."""
    consulta = (select(Processo, Cliente, Operadora).join(Cliente, Processo.cliente_id == Cliente.id)
                .join(Operadora, Cliente.operadora_id == Operadora.id)
                .where(Processo.mes_ano == mes_ano, Processo.status_processo == status.value))
    if processo_id is not None:
        consulta = consulta.where(Processo.id == processo_id)
    if operadora is not None:
        consulta = consulta.where(Operadora.codigo == operadora)
    with ctx.db.leitura() as s:
        return s.execute(consulta.order_by(Operadora.codigo, Cliente.razao_social)).all()


def baixar_faturas(ctx: Contexto, store: ObjectStore, client: RpaClient, mes_ano: str, *, hoje: dt.date,
                   log: Log = print, dormir: Callable[[float], None] | None = None,
                   processo_id: uuid.UUID | None = None, apenas_operadora: str | None = None) -> ResumoRobos:
    """Every process of the month in AGUARDANDO_DOWNLOAD whose carrier has a robot goes through a download job
    (only ``processo_id`` when given; only the processes of carrier code ``apenas_operadora`` when given: one month
    split into runs per carrier)."""
    particao = calendario.particao_de_mes_ano(mes_ano)
    resumo = ResumoRobos(mes_ano, TipoExecucao.DOWNLOAD_FATURA)
    trabalhos, candidatos = [], {}
    for processo, cliente, operadora in _processos_do_mes(ctx, mes_ano, StatusProcesso.AGUARDANDO_DOWNLOAD,
                                                          processo_id, apenas_operadora):
        motivo = _motivo_para_esperar(processo, cliente, operadora, hoje, ctx)
        if motivo:
            resumo.pendentes += 1
            resumo.linhas.append({"cliente": cliente.razao_social, "operadora": operadora.codigo, "situacao": motivo})
            continue
        try:
            pedido = PedidoDownload(login=cliente.login_portal, senha=ctx.cofre.decifrar(cliente.senha_portal),
                                    filtro=cliente.filtro, cnpj=cliente.cnpj, processo_id=str(processo.id))
        except (SegredoIlegivel, ValidationError) as exc:
            resumo.pendentes += 1
            resumo.linhas.append({"cliente": cliente.razao_social, "operadora": operadora.codigo,
                                  "situacao": f"cadastro do cliente impede o download: {_motivo(exc)}"})
            continue
        trabalhos.append(Trabalho(processo.id, cliente.razao_social, operadora.codigo, pedido))
        candidatos[processo.id] = processo.data_atualizacao
    if trabalhos:
        _adotar(ctx, client, resumo.tipo, trabalhos, candidatos, log)
    resumo.adotados = sum(t.adotado for t in trabalhos)

    def guardar(trabalho: Trabalho, resultado: ResultadoDownload, pdf: bytes) -> _FaturaGuardada:
        return _guardar_fatura(ctx, store, particao, trabalho, resultado, pdf)

    def concluir(pares: list[tuple[Trabalho, Desfecho]]) -> dict[uuid.UUID, Exception | None]:
        erros = rodada_robos.concluir_downloads(ctx, [
            (trabalho.execucao_id, desfecho.preparo.fatura, {**desfecho.preparo.detalhes, "job_id": desfecho.job_id})
            for trabalho, desfecho in pares])
        return {trabalho.processo_id: erros[trabalho.execucao_id] for trabalho, _ in pares}

    _executar(ctx, client, resumo.tipo, resumo, trabalhos, concluir, log, store, dormir, guardar)
    return resumo


def _motivo_para_esperar(processo: Processo, cliente: Cliente, operadora: Operadora, hoje: dt.date,
                         ctx: Contexto) -> str | None:
    if not operadora.possui_rpa:
        return "operadora sem robô: aguarda upload manual"
    if not cliente.status_ativo or not operadora.status_ativo:
        return "cliente ou operadora inativos"
    if sem_credenciais(operadora.possui_rpa, cliente.login_portal, cliente.senha_portal is not None):
        return ROTULO_SEM_CREDENCIAIS
    classe = next((c for c in ClasseFalha if c.value == processo.classe_ultima_falha), None)
    if politica.exige_pessoa(classe):
        return _ESPERA_POR_CLASSE[classe]
    ultima = processo.ultima_tentativa_download
    if politica.aguarda_proxima_execucao(classe, ultima and ultima.astimezone(ctx.settings.tz).date(), hoje):
        return _ESPERA_POR_CLASSE[classe]
    return None


_ESPERA_POR_CLASSE = {  # why a process with this last failure class is not attempted in this run
    ClasseFalha.CREDENCIAIS: "credenciais inválidas: corrija o cliente e libere nova tentativa",
    ClasseFalha.NAO_PUBLICADA: "fatura ainda não publicada: nova tentativa amanhã",
}


@dataclass(frozen=True)
class _FaturaGuardada:
    fatura: processos.FaturaArmazenada
    detalhes: dict[str, Any]


def _guardar_fatura(ctx: Contexto, store: ObjectStore, particao: str, trabalho: Trabalho,
                    resultado: ResultadoDownload, pdf: bytes) -> _FaturaGuardada:
    """In a batch thread, off the loop that keeps the robots busy: verify and read the robot's PDF and store it under
    the invoice key with its SHA-256. The download is concluded afterwards, in the batch loop."""
    if resultado.arquivo_fatura.tipo is not TipoRef.HTTP:  # a key of this carrier's robot, never another's
        chave_do_robo(resultado.arquivo_fatura.chave or "", ctx.settings.rpa_prefixo_chaves, trabalho.operadora)
    try:
        validado = validar_pdf(pdf, ctx.settings.max_upload_mb * 1024 * 1024)
    except PdfRecusado as exc:
        raise ValueError(f"o robô entregou um arquivo recusado: {exc}") from None
    leitura = ler_fatura(pdf)
    vencimento = resultado.data_vencimento or leitura.vencimento
    if vencimento is None:
        raise ValueError("fatura sem data de vencimento (nem o robô nem o PDF a informam)")
    chave = chave_fatura(particao, trabalho.operadora, str(trabalho.processo_id), validado.sha256)
    store.put(chave, pdf, "application/pdf")
    valor_robo = resultado.valor_fatura
    divergente = None not in (valor_robo, leitura.valor) and valor_robo != leitura.valor
    if divergente:
        _log.warning("processo %s: o robô informou R$ %s e o PDF diz R$ %s; fica o valor do PDF",
                     trabalho.processo_id, formatos.numero(valor_robo), formatos.numero(leitura.valor))
    fatura = processos.FaturaArmazenada(
        chave=chave, sha256=validado.sha256,
        nome_arquivo=f"{trabalho.operadora}_{particao[:7]}_{trabalho.processo_id}.pdf",
        valor=leitura.valor if leitura.valor is not None else valor_robo, vencimento=vencimento,
        url=resultado.arquivo_fatura.original)
    return _FaturaGuardada(fatura, {
        "arquivo_fatura": resultado.arquivo_fatura.original,
        "valor_robo": None if valor_robo is None else str(valor_robo),
        "sinais": [SINAL_VALOR_DIVERGENTE] if divergente else [],
        **conferencias(leitura)})


def enviar_ao_sat(ctx: Contexto, client: RpaClient, mes_ano: str, *, log: Log = print,
                  dormir: Callable[[float], None] | None = None, processo_id: uuid.UUID | None = None) -> ResumoRobos:
    """Every approved process of the month (only ``processo_id`` when given) gets one SAT job; an in-flight SAT job
    is adopted, never repeated."""
    resumo = ResumoRobos(mes_ano, TipoExecucao.UPLOAD_SAT)
    trabalhos, candidatos = [], {}
    for processo, cliente, operadora in _processos_do_mes(ctx, mes_ano, StatusProcesso.AGUARDANDO_ENVIO_SAT,
                                                          processo_id):
        if processo.data_vencimento is None or not processo.fatura_s3_key:
            resumo.pendentes += 1
            resumo.linhas.append({"cliente": cliente.razao_social, "operadora": operadora.codigo,
                                  "situacao": "sem fatura armazenada ou sem vencimento: não enviado ao SAT"})
            continue
        try:
            pedido = PedidoSat(cnpj=cliente.cnpj, razao=cliente.nome_sat or cliente.razao_social,
                               operadora=operadora.codigo, nome_filtro=cliente.filtro, unidade=cliente.unidade or "",
                               servico=cliente.servico or "", dados_sat=cliente.dados_sat or "",
                               nome_arquivo=processo.fatura_s3_key, data_vencimento=processo.data_vencimento,
                               processo_id=str(processo.id))
        except ValidationError as exc:
            resumo.pendentes += 1
            resumo.linhas.append({"cliente": cliente.razao_social, "operadora": operadora.codigo,
                                  "situacao": f"dados do cliente impedem o envio ao SAT: {_motivo(exc)}"})
            continue
        trabalhos.append(Trabalho(processo.id, cliente.razao_social, operadora.codigo, pedido))
        candidatos[processo.id] = processo.data_aprovacao or processo.data_atualizacao
    if trabalhos:
        _adotar(ctx, client, resumo.tipo, trabalhos, candidatos, log)
    resumo.adotados = sum(t.adotado for t in trabalhos)

    def concluir(pares: list[tuple[Trabalho, Desfecho]]) -> dict[uuid.UUID, Exception | None]:
        """One transaction per SAT upload: each reaches UPLOAD_REALIZADO on its own."""
        erros: dict[uuid.UUID, Exception | None] = {}
        for trabalho, desfecho in pares:
            resultado = desfecho.resultado
            resultado = resultado if isinstance(resultado, dict) else {"resultado": resultado}
            try:
                processos.concluir_envio_sat(ctx, trabalho.execucao_id, {**resultado, "job_id": desfecho.job_id})
                erros[trabalho.processo_id] = None
            except Exception as exc:  # noqa: BLE001 - reported per process
                erros[trabalho.processo_id] = exc
        return erros

    _executar(ctx, client, resumo.tipo, resumo, trabalhos, concluir, log, None, dormir)
    return resumo

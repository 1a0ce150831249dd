"""What "nothing lost, nothing duplicated, nothing stuck" means, checked against the database, the object store
and the simulator's own record of every job it created.

Each ``verificar_*`` returns the figures of the stage and raises ``AssertionError`` (listing every offending
process) when an invariant does not hold.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from beg_pipeline.db.models import Execucao, Processo
from beg_pipeline.domain.execucao import STATUS_TERMINAIS, ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.rpa.simulador import Simulador
from beg_pipeline.storage.base import ObjectStore, ObjetoNaoEncontrado

TERMINAIS = {s.value for s in STATUS_TERMINAIS}


def backend(ctx) -> str:
    return ctx.db.engine.dialect.name


@dataclass
class Estagio:
    """Figures of one robot stage (downloads or SAT uploads) over a set of processes."""

    processos: int = 0
    execucoes: Counter = field(default_factory=Counter)  # by status_execucao
    jobs: int = 0  # jobs the simulator created for these processes in this stage
    duplicados: int = 0  # jobs beyond one per attempt, jobs no attempt owns, SAT receiving an invoice twice
    perdidos: int = 0  # outcomes that vanished: no defined state, a concluded invoice missing from the store, …
    presos: int = 0  # attempts still EXECUTANDO after the run, processes never attempted
    readotados: int = 0  # attempts that followed the job of an earlier attempt again (no new job: not a duplicate)
    finais: Counter = field(default_factory=Counter)  # process status after the stage
    problemas: list[str] = field(default_factory=list)

    def figuras(self) -> dict:
        return {"processos": self.processos, "jobs": self.jobs, "execucoes": dict(self.execucoes),
                "duplicados": self.duplicados, "perdidos": self.perdidos, "presos": self.presos,
                "readotados": self.readotados,
                "status_final": dict(self.finais)}

    def exigir_zero(self) -> None:
        assert not self.problemas, "\n".join(self.problemas[:40])
        assert (self.duplicados, self.perdidos, self.presos) == (0, 0, 0), self.figuras()


def _linhas(ctx, processo_ids):
    with ctx.db.leitura() as s:
        procs = {p.id: p for p in s.scalars(select(Processo).where(Processo.id.in_(processo_ids)))}
        execucoes = list(s.scalars(select(Execucao).where(Execucao.processo_id.in_(processo_ids))
                                   .order_by(Execucao.numero_tentativa)))
    por_processo = defaultdict(list)
    for e in execucoes:
        por_processo[e.processo_id].append(e)
    return procs, por_processo


@dataclass(frozen=True)
class Marco:
    """What existed before a stage: its figures count only what the stage itself did."""

    execucoes: frozenset = frozenset()
    jobs: frozenset = frozenset()
    submissoes: Counter = field(default_factory=Counter)

    @classmethod
    def agora(cls, ctx, sim: Simulador) -> Marco:
        with ctx.db.leitura() as s:
            execucoes = frozenset(s.scalars(select(Execucao.id)))
        with sim._cond:
            return cls(execucoes, frozenset(sim.jobs), Counter(sim.submissoes_por_processo))


def _jobs_do_simulador(sim: Simulador, sat: bool, marco: Marco) -> dict[str, list]:
    with sim._cond:  # a consistent snapshot (the simulator's own lock)
        jobs = [j for j in sim.jobs.values() if j.job_id not in marco.jobs]
    por_processo = defaultdict(list)
    for job in jobs:
        if job.sat == sat:
            por_processo[job.pedido.processo_id].append(job)
    return por_processo


def _execucoes_fechadas(estagio: Estagio, pid, execucoes, max_tentativas: int) -> None:
    if not execucoes:
        estagio.presos += 1
        estagio.problemas.append(f"{pid}: nenhuma tentativa registrada")
    if len(execucoes) > max_tentativas:
        estagio.problemas.append(f"{pid}: {len(execucoes)} tentativas > BEG_MAX_TENTATIVAS={max_tentativas}")
    for e in execucoes:
        estagio.execucoes[e.status_execucao] += 1
        if e.status_execucao not in TERMINAIS or e.data_fim is None:
            estagio.presos += 1
            estagio.problemas.append(f"{pid}: tentativa {e.numero_tentativa} não fechada ({e.status_execucao})")
        elif e.status_execucao == StatusExecucao.CONCLUIDO.value:
            if not e.resultado_saida or not e.job_id:
                estagio.problemas.append(f"{pid}: tentativa {e.numero_tentativa} CONCLUIDO sem resultado/job")
        elif not (e.detalhes_erro or {}).get("mensagem") or e.classe_falha not in {c.value for c in ClasseFalha}:
            estagio.problemas.append(f"{pid}: tentativa {e.numero_tentativa} {e.status_execucao} sem motivo/classe: "
                                     f"{e.detalhes_erro!r} {e.classe_falha!r}")


def _nenhuma_presa(estagio: Estagio, pid, todas, deste_estagio) -> None:
    """Attempts of earlier runs (e.g. of a killed run) must be closed too, by adoption or with a reason."""
    for e in todas:
        if e not in deste_estagio and e.status_execucao not in TERMINAIS:
            estagio.presos += 1
            estagio.problemas.append(f"{pid}: tentativa {e.numero_tentativa} de um run anterior ficou "
                                     f"{e.status_execucao}")


def _jobs_por_tentativa(estagio: Estagio, pid, todas, execucoes, jobs, chave_contador: str, sim: Simulador,
                        marco: Marco) -> None:
    """No attempt with two jobs, no job without its attempt."""
    estagio.jobs += len(jobs)
    registrados = [e.job_id for e in todas if e.job_id]
    estagio.readotados += len(registrados) - len(set(registrados))
    orfaos = {j.job_id for j in jobs} - set(registrados)
    submissoes = sim.submissoes_por_processo.get(chave_contador, 0) - marco.submissoes.get(chave_contador, 0)
    excesso = max(0, submissoes - len(execucoes))
    if orfaos or excesso:
        estagio.duplicados += len(orfaos) + excesso
        estagio.problemas.append(
            f"{pid}: {len(jobs)} jobs no simulador para {len(execucoes)} tentativas; sem tentativa: "
            f"{[(j.job_id, j.status) for j in jobs if j.job_id in orfaos]}")
    if submissoes != len(jobs):
        estagio.problemas.append(f"{pid}: contador do simulador difere dos jobs")


def verificar_downloads(ctx, sim: Simulador, store: ObjectStore, processo_ids, max_tentativas: int,
                        marco: Marco = Marco()) -> Estagio:
    """After a ``faturas`` run over ``processo_ids`` (every one with a robot and credentials, none of them in
    AGUARDANDO_DOWNLOAD because of a failure that waits for a person or another day)."""
    estagio = Estagio(processos=len(processo_ids))
    procs, execucoes = _linhas(ctx, processo_ids)
    jobs = _jobs_do_simulador(sim, False, marco)
    for pid, p in procs.items():
        todas = [e for e in execucoes[pid] if e.tipo_execucao == TipoExecucao.DOWNLOAD_FATURA.value]
        downloads = [e for e in todas if e.id not in marco.execucoes]  # this run's attempts
        estagio.finais[p.status_processo] += 1
        if p.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value or downloads:
            _execucoes_fechadas(estagio, pid, downloads, max_tentativas)
        _nenhuma_presa(estagio, pid, todas, downloads)
        _jobs_por_tentativa(estagio, pid, todas, downloads, jobs.get(str(pid), []), str(pid), sim, marco)
        if p.tentativas_download != len(todas):
            estagio.problemas.append(f"{pid}: tentativas_download={p.tentativas_download} ≠ {len(todas)} linhas")
        concluidas = [e for e in todas if e.status_execucao == StatusExecucao.CONCLUIDO.value]
        if p.status_processo == StatusProcesso.AGUARDANDO_APROVACAO.value:
            if len(concluidas) != 1 or concluidas[0] is not todas[-1]:
                estagio.problemas.append(f"{pid}: em aprovação com {len(concluidas)} downloads concluídos")
            with sim._cond:
                job = sim.jobs.get(todas[-1].job_id)
            if job is None or job.status != "COMPLETED":
                estagio.problemas.append(f"{pid}: concluído sem job COMPLETED no simulador")
            try:
                if store.stat(p.fatura_s3_key).sha256 != p.fatura_sha256:
                    raise ObjetoNaoEncontrado(p.fatura_s3_key)
            except (ObjetoNaoEncontrado, ValueError):
                estagio.perdidos += 1
                estagio.problemas.append(f"{pid}: fatura {p.fatura_s3_key} ausente ou diferente no object store")
        elif p.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value:
            ultima = todas[-1] if todas else None
            if concluidas or ultima is None or p.classe_ultima_falha != ultima.classe_falha:
                estagio.perdidos += 1
                estagio.problemas.append(f"{pid}: aguardando download sem a falha da última tentativa registrada")
            elif ultima.classe_falha == ClasseFalha.TRANSITORIA.value and len(downloads) < max_tentativas:
                estagio.problemas.append(f"{pid}: desistiu após {len(downloads)} falhas transitórias "
                                         f"(limite {max_tentativas})")
        else:
            estagio.perdidos += 1
            estagio.problemas.append(f"{pid}: status inesperado após downloads: {p.status_processo}")
    return estagio


def verificar_envios_sat(ctx, sim: Simulador, processo_ids, max_tentativas: int, marco: Marco = Marco()) -> Estagio:
    """After an ``envios_sat`` run over approved ``processo_ids``: SAT got each invoice at most once (over the
    simulator's whole life), and the database says UPLOAD_REALIZADO exactly for those SAT got."""
    estagio = Estagio(processos=len(processo_ids))
    procs, execucoes = _linhas(ctx, processo_ids)
    jobs = _jobs_do_simulador(sim, True, marco)
    todos_jobs = _jobs_do_simulador(sim, True, Marco())
    for pid, p in procs.items():
        todas = [e for e in execucoes[pid] if e.tipo_execucao == TipoExecucao.UPLOAD_SAT.value]
        envios = [e for e in todas if e.id not in marco.execucoes]
        estagio.finais[p.status_processo] += 1
        if p.status_processo == StatusProcesso.AGUARDANDO_ENVIO_SAT.value or envios:
            _execucoes_fechadas(estagio, pid, envios, max_tentativas)
        _nenhuma_presa(estagio, pid, todas, envios)
        _jobs_por_tentativa(estagio, pid, todas, envios, jobs.get(str(pid), []), f"SAT/{pid}", sim, marco)
        no_sat = [j for j in todos_jobs.get(str(pid), []) if j.status == "COMPLETED"]
        if len(no_sat) > 1:
            estagio.duplicados += len(no_sat) - 1
            estagio.problemas.append(
                f"{pid}: chegou ao SAT {len(no_sat)} vezes; tentativas: "
                f"{[(e.numero_tentativa, e.status_execucao, e.job_id, e.detalhes_erro) for e in todas]}")
        concluidas = [e for e in todas if e.status_execucao == StatusExecucao.CONCLUIDO.value]
        if p.status_processo == StatusProcesso.UPLOAD_REALIZADO.value:
            if not no_sat:
                estagio.perdidos += 1
                estagio.problemas.append(f"{pid}: UPLOAD_REALIZADO mas o SAT nunca recebeu a fatura")
            elif not (p.enviado_para_sat and len(concluidas) == 1 and concluidas[0].job_id == no_sat[0].job_id):
                estagio.problemas.append(f"{pid}: UPLOAD_REALIZADO sem exatamente um envio concluído casado com o SAT")
        elif p.status_processo == StatusProcesso.AGUARDANDO_ENVIO_SAT.value:
            if no_sat:
                estagio.perdidos += 1
                estagio.problemas.append(f"{pid}: o SAT recebeu a fatura mas o processo não registrou o envio")
            if envios and len(envios) < max_tentativas and envios[-1].classe_falha == ClasseFalha.TRANSITORIA.value:
                estagio.problemas.append(f"{pid}: desistiu do SAT após {len(envios)} falhas transitórias")
        else:
            estagio.perdidos += 1
            estagio.problemas.append(f"{pid}: status inesperado após envio ao SAT: {p.status_processo}")
    return estagio

"""The simulated robots' scheduler: a FIFO of PENDING jobs, ``capacidade`` slots, one background thread that
finishes each job when its time is up, and the job views (status, progress, logs) the routes serve."""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from beg_pipeline.rpa.contrato import PedidoDownload, PedidoSat
from beg_pipeline.rpa.simulador.jobs import JobSimulado, agora_iso

if TYPE_CHECKING:
    import random
    import threading

    from beg_pipeline.rpa.simulador.config import SimuladorConfig

log = logging.getLogger("beg_pipeline.rpa.simulador")


class Agendador:
    """Mixin of ``Simulador``: job queue and robot slots. State (set by ``Simulador.__init__``): ``_cond`` guards
    ``_fila``, ``_rodando``, ``jobs`` and the counters; the outcome comes from ``PortalSimulado``."""

    config: SimuladorConfig
    base_url: str | None
    jobs: dict[str, JobSimulado]
    falhas: Counter[str]
    submissoes_por_processo: Counter[str]
    em_voo: Counter[str]
    max_em_voo: int
    max_em_voo_por_operadora: Counter[str]
    _cond: threading.Condition
    _rng: random.Random
    _fila: deque[JobSimulado]
    _rodando: list[JobSimulado]
    _tentativas_cnpj: Counter[str]
    _parar: bool
    _preparo: ThreadPoolExecutor | None

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
        job.status, job.started_at, job.inicio = "RUNNING", agora_iso(), agora
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
                self._em_voo(job, -1)
                self._busca_registrada(job)
                if error is None:
                    job.status, job.result = "COMPLETED", result
                    job.registrar("Upload concluído" if job.sat else "Download concluído")
                else:
                    job.status, job.error = "FAILED", error
                    job.registrar(error, "ERROR")
                job.completed_at = agora_iso()
            self._cond.notify_all()

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

    def _em_voo(self, job: JobSimulado, delta: int) -> None:
        """Jobs PENDING or RUNNING, in all and per carrier, and the most ever seen (called with the lock held)."""
        self.em_voo[job.operadora] += delta
        if delta > 0:
            self.max_em_voo = max(self.max_em_voo, sum(self.em_voo.values()))
            self.max_em_voo_por_operadora[job.operadora] = max(self.max_em_voo_por_operadora[job.operadora],
                                                               self.em_voo[job.operadora])

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
            self._em_voo(job, +1)
            self._cond.notify_all()
        return job

"""The robot budget shared by every run, process and machine of a deployment: slot leases in ``vagas_robo``.

``BEG_RPA_MAX_CONCURRENCY`` and ``BEG_RPA_MAX_CONCURRENCY_POR_OPERADORA`` bound the rows of the table: a batch takes
a row before each submit and deletes it when the job ends. Taking slots counts the rows and inserts under a lock
(SQLite: the writer transaction, ``BEGIN IMMEDIATE``; PostgreSQL: ``LOCK TABLE … SHARE ROW EXCLUSIVE``, which only
other slot takers wait for), so two batches never both take the last slot. A holder heart-beats every
``BEG_RPA_VAGA_VALIDADE_S``/3. The rows of a holder that stopped (killed, machine lost) are reclaimed by the next
taker: a row without a job once ``BEG_RPA_VAGA_VALIDADE_S`` passed without a heartbeat; a row whose robot job was
submitted ``BEG_RPA_JOB_TIMEOUT_S`` later still, since that job may keep running at the robot until then. The run that
adopts a job (the same month run again) takes over its row at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from beg_pipeline.db.models import VagaRobo
from beg_pipeline.rpa.vagas import Acerto
from beg_pipeline.services.contexto import Contexto

log = logging.getLogger(__name__)
_VAGAS = VagaRobo.__table__
_JOB_DA_VAGA = update(_VAGAS).where(_VAGAS.c.id == bindparam("b_id")).values(job_id=bindparam("b_job"))


def dono_atual() -> str:
    """This holder: host, process and a random part (several batches may share one process)."""
    return f"{socket.gethostname()[:120]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _agora() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class VagasRobo:
    """``rpa.vagas.Vagas`` on the application database (see the module docstring)."""

    def __init__(self, ctx: Contexto, *, max_total: int | None = None, max_por_operadora: int | None = None,
                 validade_s: float | None = None, dono: str | None = None,
                 relogio: Callable[[], dt.datetime] = _agora):
        settings = ctx.settings
        self.ctx = ctx
        self.max_total = max_total or settings.rpa_max_concurrency
        self.max_por_operadora = max_por_operadora or settings.rpa_max_concurrency_por_operadora
        self.validade = dt.timedelta(seconds=validade_s or settings.rpa_vaga_validade_s)
        self.folga_job = dt.timedelta(seconds=settings.rpa_job_timeout_s)
        self.dono = dono or dono_atual()
        self._relogio = relogio
        self._minhas: set[uuid.UUID] = set()
        self._renovada = time.monotonic()

    def __repr__(self) -> str:
        return f"VagasRobo({self.dono!r}, {len(self._minhas)} em uso)"

    def _travar(self, s: Session) -> None:
        """Serialise slot takers (SQLite's writer transaction already does)."""
        if not self.ctx.db.is_sqlite:
            s.execute(text("LOCK TABLE vagas_robo IN SHARE ROW EXCLUSIVE MODE"))

    def _recuperar_vencidas(self, s: Session, agora: dt.datetime) -> None:
        vencidas = s.execute(delete(VagaRobo).where(or_(
            and_(VagaRobo.job_id.is_(None), VagaRobo.expira_em < agora),
            VagaRobo.expira_em < agora - self.folga_job))).rowcount
        if vencidas:
            log.warning("%d vagas de robô de um processo que parou de renovar foram recuperadas", vencidas)

    def _renovar(self, s: Session, agora: dt.datetime) -> None:
        if self._minhas:
            s.execute(update(VagaRobo).where(VagaRobo.dono == self.dono).values(expira_em=agora + self.validade))
        self._renovada = time.monotonic()

    def acertar(self, liberar: Sequence[str], associar: Mapping[str, str], pedir: Sequence[str]) -> Acerto:
        vagas: list[str | None] = []
        with self.ctx.db.transacao() as s:
            agora = self._relogio()
            if pedir:
                self._travar(s)
            soltas = [uuid.UUID(v) for v in liberar]
            if soltas:
                s.execute(delete(VagaRobo).where(VagaRobo.id.in_(soltas), VagaRobo.dono == self.dono))
            if associar:
                s.execute(_JOB_DA_VAGA, [{"b_id": uuid.UUID(v), "b_job": j} for v, j in associar.items()])
            if self._renovacao_devida():
                self._renovar(s, agora)
            if not pedir:
                em_uso = -1  # not asked: nobody waits for this figure
            else:
                self._recuperar_vencidas(s, agora)
                por_operadora = Counter(dict(s.execute(
                    select(VagaRobo.operadora, func.count()).group_by(VagaRobo.operadora)).all()))
                em_uso = sum(por_operadora.values())
            novas = []
            for operadora in pedir:
                if em_uso < self.max_total and por_operadora[operadora] < self.max_por_operadora:
                    vaga = uuid.uuid4()
                    novas.append({"id": vaga, "operadora": operadora, "dono": self.dono,
                                  "expira_em": agora + self.validade, "data_criacao": agora})
                    por_operadora[operadora] += 1
                    em_uso += 1
                    vagas.append(str(vaga))
                else:
                    vagas.append(None)
            if novas:
                s.execute(insert(VagaRobo), novas)
        self._minhas.difference_update(soltas)
        self._minhas.update(uuid.UUID(v) for v in vagas if v is not None)
        return Acerto(vagas, em_uso)

    def adotar(self, jobs: Sequence[tuple[str, str]]) -> list[str]:
        vagas = []
        with self.ctx.db.transacao() as s:
            self._travar(s)
            agora = self._relogio()
            existentes = dict(s.execute(select(VagaRobo.job_id, VagaRobo.id)
                                        .where(VagaRobo.job_id.in_([job for _, job in jobs]))).all())
            for operadora, job_id in jobs:
                vaga = existentes.get(job_id)
                if vaga is None:
                    vaga = uuid.uuid4()
                    s.add(VagaRobo(id=vaga, operadora=operadora, dono=self.dono, job_id=job_id,
                                   expira_em=agora + self.validade, data_criacao=agora))
                vagas.append(vaga)
            assumidas = list(existentes.values())
            if assumidas:
                s.execute(update(VagaRobo).where(VagaRobo.id.in_(assumidas))
                          .values(dono=self.dono, expira_em=agora + self.validade))
        self._minhas.update(vagas)
        return [str(v) for v in vagas]

    def _renovacao_devida(self) -> bool:
        return bool(self._minhas) and time.monotonic() - self._renovada >= self.validade.total_seconds() / 3

    def renovar(self) -> None:
        if self._renovacao_devida():
            with self.ctx.db.transacao() as s:
                self._renovar(s, self._relogio())

    def encerrar(self) -> None:
        if self._minhas:
            with self.ctx.db.transacao() as s:
                s.execute(delete(VagaRobo).where(VagaRobo.dono == self.dono))
            self._minhas.clear()


def em_uso(ctx: Contexto) -> Counter[str]:
    """Slots held now, per carrier (expired ones included until someone reclaims them)."""
    with ctx.db.leitura() as s:
        return Counter(dict(s.execute(select(VagaRobo.operadora, func.count()).group_by(VagaRobo.operadora)).all()))

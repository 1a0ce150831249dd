"""Robot slots of a batch: the budget of robot jobs in flight that ``rpa.lote`` asks before each submit.

``Vagas`` is the interface; ``VagasLocais`` keeps the budget in memory (one batch alone, as in tests and
benchmarks of the runner). The budget shared by every run, process and machine of a deployment lives in the
application database: ``services.vagas_robo.VagasRobo``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Acerto:
    """What ``Vagas.acertar`` granted: one slot id (or None: no free slot) per carrier asked, in order, and how many
    slots the whole budget holds afterwards."""

    vagas: list[str | None]
    em_uso: int


class Vagas(Protocol):
    def acertar(self, liberar: Sequence[str], associar: Mapping[str, str], pedir: Sequence[str]) -> Acerto:
        """One exchange: free the slots ``liberar``, record the robot job of slots (``associar``: slot -> job id),
        then take one slot per carrier in ``pedir`` while the caps allow."""

    def adotar(self, jobs: Sequence[tuple[str, str]]) -> list[str]:
        """Slots for jobs already in flight, ``(carrier, job id)``: taken over from a holder that died, or added even
        over the caps (the job runs anyway; counting it keeps new submits back)."""

    def renovar(self) -> None:
        """Heartbeat: the holder is alive (called every polling round)."""

    def encerrar(self) -> None:
        """Free every slot still held (end of the batch)."""


class VagasLocais:
    """The budget of one batch alone, in memory: ``max_total`` jobs, ``max_por_operadora`` per carrier."""

    def __init__(self, max_total: int, max_por_operadora: int):
        self.max_total, self.max_por_operadora = max_total, max_por_operadora
        self._ocupadas: dict[str, str] = {}  # slot id -> carrier
        self._ids = itertools.count()

    def _nova(self, operadora: str) -> str:
        vaga = f"local-{next(self._ids)}"
        self._ocupadas[vaga] = operadora
        return vaga

    def acertar(self, liberar: Sequence[str], associar: Mapping[str, str], pedir: Sequence[str]) -> Acerto:
        for vaga in liberar:
            self._ocupadas.pop(vaga, None)
        por_operadora = Counter(self._ocupadas.values())
        vagas: list[str | None] = []
        for operadora in pedir:
            if len(self._ocupadas) < self.max_total and por_operadora[operadora] < self.max_por_operadora:
                por_operadora[operadora] += 1
                vagas.append(self._nova(operadora))
            else:
                vagas.append(None)
        return Acerto(vagas, len(self._ocupadas))

    def adotar(self, jobs: Sequence[tuple[str, str]]) -> list[str]:
        return [self._nova(operadora) for operadora, _ in jobs]

    def renovar(self) -> None:
        pass

    def encerrar(self) -> None:
        self._ocupadas.clear()

"""One row of the results table: a measure, its target, and whether the target is met."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Medida:
    caso: str
    medida: str
    valor: float | None
    unidade: str
    limite: float | None = None  # the target is ``valor <= limite``; None = informative row, no target
    nota: str = ""  # why a case did not run, or what else to know about the figure
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def alvo(self) -> str:
        return "—" if self.limite is None else f"≤ {self.limite:g} {self.unidade}".strip()

    @property
    def executado(self) -> bool:
        return self.valor is not None

    @property
    def atendido(self) -> bool | None:
        if self.limite is None:
            return None
        return self.valor is not None and self.valor <= self.limite

    @property
    def situacao(self) -> str:
        if self.atendido is None:
            return "info" if self.executado else "não executado"
        if not self.executado:
            return "NÃO ATENDIDO (não executado)"
        return "atendido" if self.atendido else "NÃO ATENDIDO"

    def texto_valor(self) -> str:
        if self.valor is None:
            return self.nota or "não executado"
        casas = 3 if abs(self.valor) < 10 else 1
        return f"{self.valor:.{casas}f} {self.unidade}".strip()

    def como_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.update(alvo=self.alvo, atendido=self.atendido, situacao=self.situacao)
        return d


def nao_executado(caso: str, medida: str, unidade: str, limite: float | None, motivo: str) -> Medida:
    return Medida(caso, medida, None, unidade, limite, nota=f"não executado: {motivo}")

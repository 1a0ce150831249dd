"""Idempotent writes of imported rows: the mapping table, fingerprints, conflicts and the audit row per object.

A legacy row is written again only when it changed in the legacy (``hash_da_linha``) *and* the new row is still
as the import wrote it (``hash_gravado``); a row both systems changed is a conflict: the new system's version is
kept and the row is reported.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from beg_pipeline.db.models import LegadoMapeamento, agora
from beg_pipeline.domain.perfis import Ator
from beg_pipeline.services import auditoria
from beg_pipeline.services.contexto import Contexto

LOTE = 300  # rows per write transaction (short transactions: the app keeps working during an import)


class Acao(enum.StrEnum):
    CRIADO = "criado"
    ATUALIZADO = "atualizado"
    INALTERADO = "inalterado"
    UNIFICADO = "unificado"  # the legacy row matched a row the new system already had: that row is kept
    CONFLITO = "conflito"
    REJEITADO = "rejeitado"


@dataclass(frozen=True)
class Problema:
    tabela: str
    id_legado: str
    motivo: str
    rejeitado: bool = False


@dataclass
class Contagem:
    acoes: dict[Acao, int] = field(default_factory=lambda: {a: 0 for a in Acao})

    def somar(self, acao: Acao) -> None:
        self.acoes[acao] += 1


def _normal(valor: Any) -> Any:
    if isinstance(valor, Decimal):
        return f"{valor:.2f}"
    if isinstance(valor, dt.datetime):
        return (valor if valor.tzinfo else valor.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()
    if isinstance(valor, (dt.date, uuid.UUID, enum.Enum)):
        return str(valor.value if isinstance(valor, enum.Enum) else valor)
    return valor


def impressao(valores: dict[str, Any]) -> str:
    """SHA-256 of values normalised so a row read back from SQLite or PostgreSQL gives the same digest."""
    texto = json.dumps({k: _normal(v) for k, v in sorted(valores.items())}, sort_keys=True, default=str)
    return hashlib.sha256(texto.encode()).hexdigest()


def impressao_do_objeto(objeto: Any, campos: list[str]) -> str:
    return impressao({c: getattr(objeto, c) for c in campos})


class Gravador:
    """Write transactions of the import: one per batch of rows, or one for the whole dry run (rolled back)."""

    def __init__(self, ctx: Contexto, ator: Ator, dry_run: bool):
        self.ctx, self.ator, self.dry_run = ctx, ator, dry_run
        self._sessao_simulada: Session | None = None
        self.momento = agora()
        self.campos: dict[str, list[str]] = {}  # per new table: the fields the import writes (its fingerprint)

    @contextmanager
    def simulacao(self) -> Iterator[None]:
        """Around the whole import: a dry run keeps one transaction and rolls it back at the end."""
        if not self.dry_run:
            yield
            return
        with self.ctx.db.transacao() as s:
            self._sessao_simulada = s
            try:
                yield
            finally:
                self._sessao_simulada = None
                s.rollback()

    @contextmanager
    def sessao(self) -> Iterator[Session]:
        if self._sessao_simulada is not None:
            yield self._sessao_simulada
        else:
            with self.ctx.db.transacao() as s:
                yield s

    def em_lotes(self, itens: list[Any], tratar: Callable[[Session, Any], None],
                 ao_falhar: Callable[[Any, str], None]) -> None:
        """Each row in its own savepoint: a row the database refuses is reported and the run goes on."""
        for inicio in range(0, len(itens), LOTE):
            with self.sessao() as s:
                for item in itens[inicio:inicio + LOTE]:
                    try:
                        with s.begin_nested():
                            tratar(s, item)
                            s.flush()
                    except DBAPIError as exc:  # the driver's message only: never the statement's parameters
                        ao_falhar(item, f"o banco recusou a linha: {str(exc.orig).strip().splitlines()[0][:200]}")

    @staticmethod
    def mapeamentos(s: Session, tabela: str) -> dict[str, LegadoMapeamento]:
        return {m.id_legado: m for m in s.scalars(select(LegadoMapeamento).where(LegadoMapeamento.tabela == tabela))}

    def aplicar(self, s: Session, tabela: str, modelo: type, id_legado: str, valores: dict[str, Any],
                hash_linha: str, mapa: dict[str, LegadoMapeamento], *, existente: Callable[[], Any] | None = None,
                id_preferido: str | None = None, processo_id: Any = None, sha256_pdf: str | None = None,
                mudou: bool = False, extras: dict[str, Any] | None = None) -> tuple[Acao, Any]:
        """Create, update or leave one row; returns the action and the new row's id.

        ``mudou`` forces the legacy side to count as changed (a change the row hash cannot see, e.g. a password);
        ``extras`` are set only when the row is created and are not part of its fingerprint.
        """
        campos = self.campos[modelo.__tablename__] = list(valores)
        m = mapa.get(id_legado)
        if m is not None and m.hash_da_linha == hash_linha and not mudou:
            return Acao.INALTERADO, m.id_novo
        if m is not None:
            if m.hash_gravado is None:  # unified with a row the new system owns: never overwritten
                return Acao.INALTERADO, m.id_novo
            objeto = s.get(modelo, uuid.UUID(m.id_novo))
            if objeto is None or impressao_do_objeto(objeto, campos) != m.hash_gravado:
                return Acao.CONFLITO, m.id_novo
            for campo, valor in valores.items():
                setattr(objeto, campo, valor)
            if hasattr(objeto, "data_atualizacao"):
                objeto.data_atualizacao = self.momento
            s.flush()
            self._mapear(s, tabela, id_legado, objeto.id, hash_linha, impressao_do_objeto(objeto, campos), mapa)
            self._auditar(s, Acao.ATUALIZADO, tabela, id_legado, objeto.id, processo_id, sha256_pdf)
            return Acao.ATUALIZADO, objeto.id
        achado = existente() if existente else None
        if achado is not None:
            self._mapear(s, tabela, id_legado, achado.id, hash_linha, None, mapa)
            self._auditar(s, Acao.UNIFICADO, tabela, id_legado, achado.id, processo_id, None)
            return Acao.UNIFICADO, achado.id
        novo_id = _id_livre(s, modelo, id_preferido)
        extras = dict(extras or {})
        criado_em = extras.pop("data_criacao", None)  # the legacy's creation time, when it has one
        objeto = modelo(id=novo_id, **valores, **extras)
        if hasattr(objeto, "data_criacao"):
            objeto.data_criacao, objeto.data_atualizacao = criado_em or self.momento, self.momento
        s.add(objeto)
        s.flush()
        self._mapear(s, tabela, id_legado, novo_id, hash_linha, impressao_do_objeto(objeto, campos), mapa)
        self._auditar(s, Acao.CRIADO, tabela, id_legado, novo_id, processo_id, sha256_pdf)
        return Acao.CRIADO, novo_id

    def mapear_alias(self, s: Session, tabela: str, id_legado: str, id_novo: Any, hash_linha: str,
                     mapa: dict[str, LegadoMapeamento]) -> None:
        """Another legacy id for a row already imported (e.g. the ``users`` row of a merged user)."""
        atual = mapa.get(id_legado)
        if atual is None or atual.id_novo != str(id_novo) or atual.hash_da_linha != hash_linha:
            self._mapear(s, tabela, id_legado, id_novo, hash_linha, None, mapa)

    def _mapear(self, s: Session, tabela: str, id_legado: str, id_novo: Any, hash_linha: str,
                hash_gravado: str | None, mapa: dict[str, LegadoMapeamento]) -> None:
        registro = s.merge(LegadoMapeamento(tabela=tabela, id_legado=id_legado, id_novo=str(id_novo),
                                            hash_da_linha=hash_linha, hash_gravado=hash_gravado,
                                            data_importacao=self.momento))
        mapa[id_legado] = registro

    def _auditar(self, s: Session, acao: Acao, tabela: str, id_legado: str, id_novo: Any, processo_id: Any,
                 sha256_pdf: str | None) -> None:
        if tabela == "processos":
            processo_id = id_novo
        auditoria.registrar(s, self.ator, "IMPORTAR_LEGADO", tabela, id_novo, processo_id=processo_id,
                            sha256_pdf=sha256_pdf,
                            detalhes={"origem": "legado", "tabela_legado": tabela, "id_legado": id_legado,
                                      "acao": acao.value})


def _id_livre(s: Session, modelo: type, preferido: str | None) -> uuid.UUID:
    """Keep the legacy uuid as the new id when it is a uuid nobody uses yet (traceable by eye), else a new one."""
    try:
        candidato = uuid.UUID(preferido) if preferido else None
    except ValueError:
        candidato = None
    if candidato is not None and s.get(modelo, candidato) is None:
        return candidato
    return uuid.uuid4()

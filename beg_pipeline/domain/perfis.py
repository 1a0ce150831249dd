"""User profiles and what each may do; enforced by the service layer."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Perfil(str, enum.Enum):
    ADMINISTRADOR = "ADMINISTRADOR"
    APROVADOR = "APROVADOR"
    OPERADOR = "OPERADOR"
    SISTEMA = "SISTEMA"  # the pipeline itself (Dagster); never a person, never approves


class Permissao(str, enum.Enum):
    VER = "VER"
    APROVAR = "APROVAR"
    REJEITAR = "REJEITAR"
    UPLOAD_MANUAL = "UPLOAD_MANUAL"
    REENVIAR_DOWNLOAD = "REENVIAR_DOWNLOAD"
    EXECUTAR_PIPELINE = "EXECUTAR_PIPELINE"
    GERIR_CADASTROS = "GERIR_CADASTROS"
    CORRIGIR_FATURA = "CORRIGIR_FATURA"  # amount and due date, with a reason
    DESFAZER_APROVACAO = "DESFAZER_APROVACAO"
    MARCAR_ENVIADO_SAT = "MARCAR_ENVIADO_SAT"  # sent to SAT by hand, with the protocol
    EXECUTAR_AGORA = "EXECUTAR_AGORA"  # launch one process's download / SAT run in Dagster
    CANCELAR_JOB = "CANCELAR_JOB"  # cancel a robot job in flight


P = Permissao
PERMISSOES: dict[Perfil, frozenset[Permissao]] = {
    Perfil.ADMINISTRADOR: frozenset(Permissao),
    Perfil.APROVADOR: frozenset({P.VER, P.APROVAR, P.REJEITAR, P.CORRIGIR_FATURA, P.DESFAZER_APROVACAO,
                                 P.MARCAR_ENVIADO_SAT}),
    Perfil.OPERADOR: frozenset({P.VER, P.UPLOAD_MANUAL, P.REENVIAR_DOWNLOAD, P.EXECUTAR_AGORA, P.CANCELAR_JOB}),
    Perfil.SISTEMA: frozenset({P.VER, P.EXECUTAR_PIPELINE}),
}

PERFIS_DE_PESSOAS = (Perfil.ADMINISTRADOR, Perfil.APROVADOR, Perfil.OPERADOR)


class PermissaoNegada(Exception):
    """The actor's profile does not allow the action."""


@dataclass(frozen=True)
class Ator:
    """Who performs an action, and from where (for the audit trail)."""

    perfil: Perfil
    usuario_id: object | None = None
    email: str = "sistema"
    ip: str | None = None
    user_agent: str | None = None

    def exigir(self, permissao: Permissao) -> None:
        if permissao not in PERMISSOES[self.perfil]:
            raise PermissaoNegada(
                f"O perfil {self.perfil.value} de {self.email} não permite {permissao.value.lower().replace('_', ' ')}."
            )

    def pode(self, permissao: Permissao) -> bool:
        return permissao in PERMISSOES[self.perfil]


SISTEMA = Ator(perfil=Perfil.SISTEMA, email="pipeline")

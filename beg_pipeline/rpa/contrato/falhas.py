"""Failure classes: reading a failed job's free-text error. What follows each class is
``beg_pipeline.domain.politica_tentativas``."""

from __future__ import annotations

from beg_pipeline.domain.execucao import ClasseFalha
from beg_pipeline.domain.formatos import sem_acentos

_TERMOS_NAO_PUBLICADA = ("fatura nao disponivel", "nenhuma fatura")
_TERMOS_CREDENCIAIS = ("login", "senha", "credenciais", "auth-401")


def classificar_falha(erro: str | None) -> ClasseFalha:
    """Classify a failed job's free-text error (case and accent insensitive).

    The "not published" phrases are checked first: they are specific, while "login" also
    appears in robot messages that are not about credentials.
    """
    texto = sem_acentos(erro or "").casefold()
    if any(termo in texto for termo in _TERMOS_NAO_PUBLICADA):
        return ClasseFalha.NAO_PUBLICADA
    if any(termo in texto for termo in _TERMOS_CREDENCIAIS):
        return ClasseFalha.CREDENCIAIS
    return ClasseFalha.TRANSITORIA

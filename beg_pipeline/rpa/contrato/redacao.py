"""Masking secrets (token, portal passwords) in whatever the robot API echoes."""

from __future__ import annotations

from typing import Any

REDIGIDO = "***"


def redigir(texto: str, segredos: Any) -> str:
    """Replace every occurrence of each secret (token, portal passwords) by ``***``."""
    for segredo in sorted((s for s in segredos if s), key=len, reverse=True):
        texto = texto.replace(segredo, REDIGIDO)
    return texto

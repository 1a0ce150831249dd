"""CNPJ (numeric and the alphanumeric form valid from July 2026) and CPF validation."""

from __future__ import annotations

import re

from stdnum.br import cnpj as _cnpj
from stdnum.br import cpf as _cpf

_NAO_ALFANUM = re.compile(r"[^0-9A-Za-z]")


def _compacto(valor: str) -> str:
    return _NAO_ALFANUM.sub("", valor or "").upper()


def validar_cnpj(valor: str) -> str:
    """The compact, upper-case CNPJ, or ``ValueError`` explaining what is wrong."""
    numero = _compacto(valor)
    if len(numero) != 14:
        raise ValueError(f"CNPJ {valor!r} deve ter 14 caracteres (tem {len(numero)}).")
    if len(set(numero)) == 1:
        raise ValueError(f"CNPJ {valor!r} com todos os caracteres iguais não é válido.")
    if not _cnpj.is_valid(numero):
        raise ValueError(f"CNPJ {valor!r} com dígitos verificadores inválidos.")
    return numero


def validar_cpf(valor: str) -> str:
    """The 11-digit CPF, or ``ValueError`` explaining what is wrong."""
    numero = _compacto(valor)
    if not numero.isdigit() or len(numero) != 11:
        raise ValueError(f"CPF {valor!r} deve ter 11 dígitos.")
    if len(set(numero)) == 1:
        raise ValueError(f"CPF {valor!r} com todos os dígitos iguais não é válido.")
    if not _cpf.is_valid(numero):
        raise ValueError(f"CPF {valor!r} com dígitos verificadores inválidos.")
    return numero


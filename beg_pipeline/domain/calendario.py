"""mes_ano (``MM/AAAA``, the legacy month) and Dagster partition keys (``AAAA-MM-01``)."""

from __future__ import annotations

import datetime as dt
import re

_MES_ANO = re.compile(r"^(0[1-9]|1[0-2])/(\d{4})$")
_PARTICAO = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])-01$")


def mes_ano_de_particao(chave: str) -> str:
    """``2026-11-01`` → ``11/2026``."""
    m = _PARTICAO.match(chave)
    if not m:
        raise ValueError(f"Partição {chave!r} inválida: use AAAA-MM-01 (ex.: 2026-11-01).")
    return f"{m.group(2)}/{m.group(1)}"


def particao_de_mes_ano(mes_ano: str) -> str:
    """``11/2026`` → ``2026-11-01``."""
    m = _MES_ANO.match(mes_ano or "")
    if not m:
        raise ValueError(f"mes_ano {mes_ano!r} inválido: use MM/AAAA (ex.: 11/2026).")
    return f"{m.group(2)}-{m.group(1)}-01"


def mes_ano_de_data(dia: dt.date) -> str:
    return f"{dia.month:02d}/{dia.year}"


def primeiro_dia(mes_ano: str) -> dt.date:
    return dt.date.fromisoformat(particao_de_mes_ano(mes_ano))

"""Reading the value variants the robots return: amounts, dates, timestamps and where the invoice file is."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

OPERADORAS_CONHECIDAS = ("OI", "VIVO", "EMBRATEL", "DIGITALNET")


def parse_valor(valor: Any) -> Decimal | None:
    """``1234.56`` | ``"1234.56"`` | ``"1.234,56"`` (| ``"R$ 1.234,56"``) | absent → Decimal or None."""
    if valor is None or (isinstance(valor, str) and not valor.strip()):
        return None
    if isinstance(valor, bool):
        raise ValueError("valor_fatura booleano")
    if isinstance(valor, (int, float, Decimal)):
        return Decimal(str(valor))
    if not isinstance(valor, str):
        raise ValueError(f"valor_fatura de tipo inesperado: {type(valor).__name__}")
    texto = valor.replace("R$", "").replace("\xa0", "").replace(" ", "")
    if "," in texto and "." in texto:
        decimal_sep = "," if texto.rfind(",") > texto.rfind(".") else "."
    elif "," in texto:
        decimal_sep = ","
    else:
        decimal_sep = "." if texto.count(".") == 1 else ""
    milhar_sep = "." if decimal_sep == "," else ","
    texto = texto.replace(milhar_sep, "")
    if decimal_sep == ",":
        texto = texto.replace(",", ".")
    elif decimal_sep == "":
        texto = texto.replace(".", "")
    try:
        return Decimal(texto)
    except InvalidOperation:
        raise ValueError(f"valor_fatura ilegível: {valor!r}") from None


_DATA_FORMATOS = (
    (re.compile(r"^\d{2}/\d{2}/\d{4}$"), "%d/%m/%Y"),
    (re.compile(r"^\d{2}-\d{2}-\d{4}$"), "%d-%m-%Y"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}$"), "%Y-%m-%d"),
)


def parse_data(valor: Any) -> dt.date | None:
    """``DD/MM/YYYY`` | ``DD-MM-YYYY`` | ``YYYY-MM-DD`` (a time part is ignored) | absent → date or None."""
    if valor is None or (isinstance(valor, str) and not valor.strip()):
        return None
    if isinstance(valor, dt.datetime):
        return valor.date()
    if isinstance(valor, dt.date):
        return valor
    if not isinstance(valor, str):
        raise ValueError(f"data de tipo inesperado: {type(valor).__name__}")
    texto = re.split(r"[T ]", valor.strip(), maxsplit=1)[0]
    for padrao, formato in _DATA_FORMATOS:
        if padrao.match(texto):
            return dt.datetime.strptime(texto, formato).date()
    raise ValueError(f"data ilegível: {valor!r}")


def parse_instante(valor: Any) -> dt.datetime | None:
    """An ISO-8601 timestamp as an aware datetime (naive → UTC); None when absent or unreadable."""
    if not valor or not isinstance(valor, str):
        return None
    try:
        instante = dt.datetime.fromisoformat(valor.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return instante if instante.tzinfo else instante.replace(tzinfo=dt.UTC)


class TipoRef(StrEnum):
    S3 = "s3"  # s3://bucket/key
    CHAVE = "chave"  # bare key in the configured bucket
    HTTP = "http"  # http(s) URL, GET with the bearer token


@dataclass(frozen=True)
class RefArquivo:
    """Where the robot left the invoice PDF."""

    tipo: TipoRef
    original: str
    chave: str | None = None
    bucket: str | None = None

    @classmethod
    def parse(cls, valor: str) -> RefArquivo:
        texto = valor.strip()
        if not texto:
            raise ValueError("arquivo_fatura vazio")
        esquema = texto.split("://", 1)[0].lower() if "://" in texto else ""
        if esquema == "s3":
            bucket, _, chave = texto[5:].partition("/")
            if not bucket or not chave:
                raise ValueError(f"arquivo_fatura s3 sem bucket ou chave: {texto!r}")
            return cls(TipoRef.S3, texto, chave=chave, bucket=bucket)
        if esquema in ("http", "https"):
            return cls(TipoRef.HTTP, texto)
        if esquema:
            raise ValueError(f"arquivo_fatura com esquema desconhecido: {texto!r}")
        return cls(TipoRef.CHAVE, texto, chave=texto.lstrip("/"))

"""The object-store interface and the rules for building keys."""

from __future__ import annotations

import abc
import hashlib
import re
from dataclasses import dataclass

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PASTA_FATURAS = "faturas"  # the product's invoices; a robot may never name a key here


class ObjetoNaoEncontrado(KeyError):
    """No object is stored under that key."""


class ChaveInvalida(ValueError):
    """A key segment would escape its folder or carries characters keys never have."""


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    sha256: str
    content_type: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def segmento(value: str) -> str:
    """Validate one key segment built by the code (no ``..``, ``/``, ``\\`` or NUL can pass)."""
    if not _SEGMENT.fullmatch(value) or ".." in value:
        raise ChaveInvalida(f"segmento de chave inválido: {value!r}")
    return value


def chave(*segments: str) -> str:
    return "/".join(segmento(s) for s in segments)


def chave_fatura(partition_key: str, operadora_codigo: str, processo_id: str, sha256: str) -> str:
    """``faturas/AAAA-MM/<OPERADORA>/<processo>-<sha8>.pdf``: only code-built values, never a user file name."""
    ano_mes = partition_key[:7]
    return chave(PASTA_FATURAS, ano_mes, operadora_codigo.upper(), f"{processo_id}-{sha256[:12]}.pdf")


class ObjectStore(abc.ABC):
    """Put / get / exists / stat / delete by key; every put records the content's SHA-256."""

    @abc.abstractmethod
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> ObjectInfo: ...

    @abc.abstractmethod
    def get(self, key: str) -> bytes: ...

    @abc.abstractmethod
    def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    def stat(self, key: str) -> ObjectInfo: ...

    @abc.abstractmethod
    def delete(self, key: str) -> None: ...

    @abc.abstractmethod
    def url(self, key: str, expires_s: int = 3600) -> str:
        """A URL a browser or the robot can GET the object from (presigned on S3)."""

    @abc.abstractmethod
    def list(self, prefix: str) -> list[str]: ...

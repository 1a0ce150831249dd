"""Where a robot's answer may send the client: origins (who gets the token, who may serve a file), limits on what is
read, and which object keys a robot may name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from beg_pipeline.rpa.contrato.erros import ArquivoInvalido
from beg_pipeline.storage.base import PASTA_FATURAS

if TYPE_CHECKING:
    from beg_pipeline.settings import Settings

MIB = 1024 * 1024
MAX_JSON_BYTES = 8 * MIB  # status with its whole log, job lists: far below this
_PORTAS_PADRAO = {"http": 80, "https": 443}
_CODIGO_OPERADORA = re.compile(r"[A-Z0-9][A-Z0-9_-]*")


def origem(url: str) -> str:
    """``scheme://host:port`` of ``url`` (default port made explicit, host lower-case); ``ValueError`` if none."""
    partes = urlsplit(url.strip())
    esquema = partes.scheme.lower()
    if esquema not in _PORTAS_PADRAO or not partes.hostname:
        raise ValueError(f"não é uma URL http(s) com host: {url[:120]!r}")
    porta = partes.port or _PORTAS_PADRAO[esquema]  # a malformed port raises ValueError
    host = f"[{partes.hostname}]" if ":" in partes.hostname else partes.hostname
    return f"{esquema}://{host}:{porta}"


def origem_s3(endpoint: str | None, seguro: bool) -> str | None:
    """The origin of the configured S3 endpoint (``host:port`` as MinIO takes it, or a URL)."""
    if not endpoint:
        return None
    return origem(endpoint if "://" in endpoint else f"{'https' if seguro else 'http'}://{endpoint}")


def chave_do_robo(chave: str, prefixo: str = "", operadora: str | None = None) -> str:
    """``chave`` if a robot may name it, else ``ArquivoInvalido``.

    A robot's keys are ``<prefixo><OPERADORA>/…`` (the contract's ``VIVO/2026-11/0001.pdf``; ``prefixo`` is
    ``BEG_RPA_PREFIXO_CHAVES``), never a key of the product (``faturas/…``: another client's invoice), never a path
    with ``..``, ``.``, an empty segment or a backslash; with ``operadora``, under that carrier's folder only."""
    mostrada = repr(chave[:120])
    partes = chave.split("/")
    if "\\" in chave or "\x00" in chave or any(p in ("", ".", "..") for p in partes):
        raise ArquivoInvalido(f"chave do arquivo da fatura inválida: {mostrada} (segmento vazio, '.', '..' ou '\\')")
    if partes[0] == PASTA_FATURAS:
        raise ArquivoInvalido(f"o robô apontou uma fatura guardada pelo produto ({mostrada}); recusada: o robô só "
                              "pode entregar arquivos da própria pasta")
    resto = chave[len(prefixo):].split("/") if chave.startswith(prefixo) else []
    if len(resto) < 2 or not _CODIGO_OPERADORA.fullmatch(resto[0]):
        raise ArquivoInvalido(f"chave {mostrada} fora da pasta dos robôs '{prefixo}<OPERADORA>/…' "
                              "(ajuste BEG_RPA_PREFIXO_CHAVES se os robôs gravam em outra pasta)")
    if operadora is not None and resto[0] != operadora.strip().upper():
        raise ArquivoInvalido(f"chave {mostrada} na pasta de outra operadora ({resto[0]}); esperado "
                              f"{prefixo}{operadora.strip().upper()}/…")
    return chave


@dataclass(frozen=True)
class RegrasArquivos:
    """What the client may fetch for a robot: besides the API's own origin, ``origens`` (``BEG_RPA_ARQUIVOS_ORIGENS``)
    and ``origem_s3`` (the configured bucket's endpoint, path-style ``/<bucket>/<key>`` under the robots' folder);
    at most ``max_bytes`` per file, read within ``prazo_s`` seconds overall."""

    origens: frozenset[str] = frozenset()
    origem_s3: str | None = None
    bucket: str | None = None
    prefixo_chaves: str = ""
    max_bytes: int = 20 * MIB
    prazo_s: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RegrasArquivos:
        return cls(origens=settings.origens_arquivos_rpa, origem_s3=origem_s3(settings.s3_endpoint, settings.s3_secure),
                   bucket=settings.s3_bucket, prefixo_chaves=settings.rpa_prefixo_chaves,
                   max_bytes=settings.max_upload_mb * MIB, prazo_s=settings.rpa_arquivo_prazo_s)

    def verificar_url(self, url: str, origem_api: str) -> str:
        """The origin of ``url`` if the client may GET it, else ``ArquivoInvalido`` (the message names the origin and
        the setting, never the query string)."""
        try:
            alvo = origem(url)
        except ValueError as exc:
            raise ArquivoInvalido(f"URL do arquivo da fatura inválida: {exc}") from None
        if alvo == origem_api or alvo in self.origens:
            return alvo
        if alvo == self.origem_s3:
            bucket, _, chave = unquote(urlsplit(url).path).lstrip("/").partition("/")
            if bucket != self.bucket:
                raise ArquivoInvalido(f"URL do object store fora do bucket configurado ({self.bucket})")
            chave_do_robo(chave, self.prefixo_chaves)
            return alvo
        raise ArquivoInvalido(f"o robô indicou um arquivo em {alvo}, origem não permitida: só a API do robô, o "
                              "endpoint do bucket e BEG_RPA_ARQUIVOS_ORIGENS")

"""Reading an HTTP answer's body within a byte cap and an overall deadline (``requests`` with ``stream=True``)."""

from __future__ import annotations

import time

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

from beg_pipeline.rpa.contrato.procedencia import MIB

_BLOCO = 64 * 1024


class CorpoLento(requests.ReadTimeout):
    """The body did not arrive within the call's overall deadline (a server dripping bytes never hits the read
    timeout)."""


class RespostaRecusada(Exception):
    """An answer refused without reading it whole: larger than the cap, or a redirect to another origin."""


def ler_corpo(resposta: requests.Response, limite: int, fim: float, prazo_s: float) -> bytes:
    """The whole body, or ``RespostaRecusada`` past ``limite`` bytes / ``CorpoLento`` past ``fim`` (``time.monotonic``);
    a refused body is never kept, and its connection is dropped."""
    try:
        declarado = int(resposta.headers.get("Content-Length", ""))
    except ValueError:
        declarado = None
    partes = bytearray()
    try:
        if declarado is not None and declarado > limite:
            raise RespostaRecusada(f"resposta de {declarado} bytes excede o limite de {mb(limite)}")
        while bloco := _ler_bloco(resposta, fim, prazo_s):
            partes += bloco
            if len(partes) > limite:
                raise RespostaRecusada(f"resposta excede o limite de {mb(limite)}")
            if time.monotonic() > fim:
                raise CorpoLento(f"resposta não chegou inteira em {prazo_s:g} s")
    except BaseException:
        resposta.close()  # unread: urllib3 closes the connection
        raise
    resposta._content, resposta._content_consumed = bytes(partes), True  # the connection goes back to the pool
    resposta.close()
    return resposta._content


def _ler_bloco(resposta: requests.Response, fim: float, prazo_s: float) -> bytes:
    """What of the body has arrived (at most ``_BLOCO`` bytes), urllib3's errors as ``requests``' own."""
    try:
        return resposta.raw.read1(_BLOCO, decode_content=True)
    except ReadTimeoutError:
        if time.monotonic() > fim:
            raise CorpoLento(f"resposta não chegou inteira em {prazo_s:g} s") from None
        raise requests.ReadTimeout("ReadTimeout durante a leitura da resposta") from None
    except ProtocolError:
        raise requests.ConnectionError("conexão interrompida durante a leitura da resposta") from None
    except DecodeError:
        raise requests.exceptions.ContentDecodingError("resposta com compressão inválida") from None


def mb(n: int) -> str:
    return f"{n / MIB:g} MB"

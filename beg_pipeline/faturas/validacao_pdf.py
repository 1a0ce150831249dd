"""Gatekeeper for PDFs that come from outside (uploads, robots): only plain, readable, passive PDFs pass."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

_MB = 1024 * 1024
_CONTEUDO_ATIVO = {
    "JavaScript": "JavaScript",
    "JS": "JavaScript",
    "Launch": "ação /Launch (abre programas ou arquivos externos)",
    "EmbeddedFile": "arquivo embutido (anexo)",
    "EmbeddedFiles": "arquivo embutido (anexo)",
    "AA": "ações automáticas (/AA)",
}
_NOME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()%{}]+)")
_CONTEUDO_STREAM = re.compile(rb"(?<![A-Za-z])stream(?:\r\n|\r|\n).*?endstream", re.S)
_ESCAPE_NOME = re.compile(rb"#([0-9A-Fa-f]{2})")


class PdfRecusado(ValueError):
    """The file is not accepted; the message says why, in Portuguese, for the user."""


@dataclass(frozen=True)
class PdfValidado:
    sha256: str
    paginas: int


def _mb(tamanho: int) -> str:
    """``20971520`` → ``"20 MB"``, ``1572864`` → ``"1,5 MB"``."""
    return f"{tamanho / _MB:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " MB"


def tipo_provavel(data: bytes) -> str:
    """What a file that is not a PDF looks like, in words for the user (e.g. "parece uma página HTML")."""
    inicio = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if inicio.startswith(b"mz"):
        return "parece um programa executável do Windows"
    if inicio.startswith(b"\x7felf"):
        return "parece um programa executável"
    if inicio.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<?xml")):
        return "parece uma página HTML"
    if inicio.startswith(b"pk\x03\x04"):
        return "parece um arquivo ZIP ou documento do Office"
    if inicio.startswith((b"\xff\xd8\xff", b"\x89png")):
        return "parece uma imagem"
    return "não começa com %PDF-"


def validar_pdf(data: bytes, max_bytes: int) -> PdfValidado:
    """Accept ``data`` as a PDF or raise ``PdfRecusado`` (empty, too big, not a PDF, truncated,
    unreadable, encrypted, or with JavaScript, launch actions, embedded files or automatic actions)."""
    if not data:
        raise PdfRecusado("arquivo vazio")
    if len(data) > max_bytes:
        raise PdfRecusado(f"arquivo de {_mb(len(data))} excede o limite de {_mb(max_bytes)}")
    if not data.startswith(b"%PDF-"):
        raise PdfRecusado(f"o arquivo não é um PDF: {tipo_provavel(data)}")
    if b"%%EOF" not in data[-2048:]:
        raise PdfRecusado("PDF truncado ou incompleto (falta o marcador %%EOF do final)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRecusado("PDF criptografado ou protegido por senha não é aceito")
        paginas = len(reader.pages)
        nomes = _nomes_crus(data) | _nomes_objetos(reader)
        abertura = _acao_de_abertura(reader)
    except PdfRecusado:
        raise
    except Exception as exc:
        raise PdfRecusado(f"PDF ilegível ou corrompido ({type(exc).__name__})") from None
    if paginas == 0:
        raise PdfRecusado("PDF sem páginas")
    motivos = sorted({_CONTEUDO_ATIVO[nome] for nome in nomes & _CONTEUDO_ATIVO.keys()})
    if abertura:
        motivos.insert(0, abertura)
    if motivos:
        raise PdfRecusado("PDF com conteúdo ativo não é aceito: " + "; ".join(motivos))
    return PdfValidado(sha256=hashlib.sha256(data).hexdigest(), paginas=paginas)


def _nomes_crus(data: bytes) -> set[str]:
    """PDF names written in the file outside stream payloads (``#xx`` escapes decoded)."""
    texto = _CONTEUDO_STREAM.sub(b" ", data)
    return {
        _ESCAPE_NOME.sub(lambda m: bytes([int(m.group(1), 16)]), nome).decode("latin-1")
        for nome in _NOME.findall(texto)
    }


def _nomes_objetos(reader: PdfReader) -> set[str]:
    """Every name (key or value) of every object pypdf can parse, including those inside object streams."""
    referencias = [(num, gen) for gen, tabela in reader.xref.items() for num in tabela]
    referencias += [(num, 0) for num in reader.xref_objStm]
    pendentes: list[object] = [reader.trailer]
    pendentes += [reader.get_object(IndirectObject(num, gen, reader)) for num, gen in referencias]
    nomes: set[str] = set()
    while pendentes:
        objeto = pendentes.pop()
        if isinstance(objeto, DictionaryObject):  # also stream dictionaries; referenced objects are in the list
            nomes.update(str(chave)[1:] for chave in objeto.keys())
            pendentes.extend(dict.values(objeto))
        elif isinstance(objeto, ArrayObject):
            pendentes.extend(objeto)
        elif isinstance(objeto, NameObject):
            nomes.add(str(objeto)[1:])
    return nomes


def _acao_de_abertura(reader: PdfReader) -> str | None:
    acao = reader.trailer["/Root"].get_object().get("/OpenAction")
    acao = acao.get_object() if acao is not None else None
    if isinstance(acao, DictionaryObject) and acao.get("/S") in ("/JavaScript", "/Launch"):
        return "ação executada ao abrir o documento (/OpenAction)"
    return None

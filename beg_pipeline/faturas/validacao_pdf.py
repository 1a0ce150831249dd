"""Gatekeeper for PDFs that come from outside (uploads, robots): only plain, readable, passive PDFs pass."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from beg_pipeline.faturas import isolamento
from beg_pipeline.faturas.isolamento import LimiteExcedido, LimitesPdf, faltou_memoria, limites_configurados

_MB = 1024 * 1024
_CONTEUDO_ATIVO = {
    "JavaScript": "JavaScript",
    "JS": "JavaScript",
    "Launch": "ação /Launch (abre programas ou arquivos externos)",
    "EmbeddedFile": "arquivo embutido (anexo)",
    "EmbeddedFiles": "arquivo embutido (anexo)",
    "AA": "ações automáticas (/AA)",
    "GoToR": "ação /GoToR (abre um arquivo em outro local, como uma pasta de rede)",
    "GoToE": "ação /GoToE (abre um documento embutido)",
    "SubmitForm": "ação /SubmitForm (envia dados a um endereço externo)",
    "ImportData": "ação /ImportData (importa dados de um arquivo externo)",
    "XFA": "formulário XFA (pode conter scripts)",
    "RichMedia": "mídia interativa (/RichMedia)",
    "Rendition": "ação /Rendition (mídia que pode conter scripts)",
}
_NOME = re.compile(rb"/([^\x00\t\n\x0c\r /<>\[\]()%{}]+)")
# A stream payload starts after its dictionary's ">>" and "stream" + EOL; only that is skipped, so a "stream" in a
# comment hides nothing. The match is bounded: no ".*" that could rescan the rest of the file for each candidate.
_INICIO_STREAM = re.compile(rb">>[\x00\t\n\x0c\r ]*stream(?:\r\n|\r|\n)")
_ESCAPE_NOME = re.compile(rb"#([0-9A-Fa-f]{2})")
_ESPACOS = b"\x00\t\n\x0c\r "
# HTML a browser would render: tags that cannot be PDF syntax (a hex string holds only 0-9A-F), or any tag with an
# event handler. Bounded repetitions only, so the scan stays linear.
_HTML = re.compile(
    rb"<(?:!doctype|html|head|body|script|iframe|object|embed|meta|form|style|link|title|base)[\s/>]"
    rb"|<[a-z]{1,10}[\s/][^<>]{0,200}?\bon[a-z]{3,20}\s{0,20}=",
    re.I,
)
_ZIP = (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06")


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


def validar_pdf(data: bytes, max_bytes: int, *, limites: LimitesPdf | None = None) -> PdfValidado:
    """Accept ``data`` as a PDF or raise ``PdfRecusado`` (empty, too big, not a PDF, truncated or with data after
    its end, also a ZIP or HTML file, unreadable, encrypted, with active content, or too costly to check).

    The checks run in an isolated process with CPU, memory and wall-clock ``limites`` (default: the ``BEG_PDF_*``
    settings); a file that exceeds one is refused, the caller never blocks beyond the wall-clock limit. An accepted
    file is also read there (``ler_fatura`` of the same bytes then answers from memory)."""
    _verificar_envelope(data, max_bytes)
    limites = limites or limites_configurados()
    try:
        resposta = isolamento.executar("validar", data, limites, max_bytes=max_bytes)
    except LimiteExcedido as exc:
        raise PdfRecusado(
            f"PDF complexo demais para verificar com segurança ({exc.em_palavras()}); gere o PDF novamente"
            " pelo site da operadora ou envie uma versão mais simples"
        ) from None
    if "recusa" in resposta:
        raise PdfRecusado(resposta["recusa"])
    if "erro" in resposta:
        raise PdfRecusado(f"PDF ilegível ou corrompido ({resposta['erro']})")
    isolamento.guardar_leitura(resposta["sha256"], resposta["leitura"])
    return PdfValidado(sha256=resposta["sha256"], paginas=resposta["paginas"])


def validar_pdf_sem_isolamento(data: bytes, max_bytes: int) -> PdfValidado:
    """The checks of ``validar_pdf`` in this process, without limits: only for the isolated worker."""
    _verificar_envelope(data, max_bytes)
    fim = data.rfind(b"%%EOF")
    if fim < 0:
        raise PdfRecusado("PDF truncado ou incompleto (falta o marcador %%EOF do final)")
    if sobra := len(data[fim + 5 :].strip(_ESPACOS)):
        raise PdfRecusado(
            f"PDF com {sobra} bytes depois do marcador final %%EOF (arquivo truncado, alterado ou com outro"
            " conteúdo anexado); gere o PDF novamente"
        )
    fora_de_streams = _fora_de_streams(data)
    _recusar_poliglota(data, fora_de_streams)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfRecusado("PDF criptografado ou protegido por senha não é aceito")
        paginas = len(reader.pages)
        nomes = _nomes_crus(fora_de_streams) | _nomes_objetos(reader)
        abertura = _acao_de_abertura(reader)
    except PdfRecusado:
        raise
    except Exception as exc:  # pypdf raises many kinds on a broken file: all mean "unreadable"
        if faltou_memoria(exc):  # the isolated worker reports it as a limit
            raise MemoryError from exc
        raise PdfRecusado(f"PDF ilegível ou corrompido ({type(exc).__name__})") from None
    if paginas == 0:
        raise PdfRecusado("PDF sem páginas")
    motivos = sorted({_CONTEUDO_ATIVO[nome] for nome in nomes & _CONTEUDO_ATIVO.keys()})
    if abertura:
        motivos.insert(0, abertura)
    if motivos:
        raise PdfRecusado("PDF com conteúdo ativo não é aceito: " + "; ".join(motivos))
    return PdfValidado(sha256=hashlib.sha256(data).hexdigest(), paginas=paginas)


def _verificar_envelope(data: bytes, max_bytes: int) -> None:
    if not data:
        raise PdfRecusado("arquivo vazio")
    if len(data) > max_bytes:
        raise PdfRecusado(f"arquivo de {_mb(len(data))} excede o limite de {_mb(max_bytes)}")
    if not data.startswith(b"%PDF-"):
        raise PdfRecusado(f"o arquivo não é um PDF: {tipo_provavel(data)}")


def _fora_de_streams(data: bytes) -> bytes:
    """The file without its stream payloads, in one pass: each byte is looked at a bounded number of times."""
    partes, inicio = [], 0
    while (achado := _INICIO_STREAM.search(data, inicio)) is not None:
        fim = data.find(b"endstream", achado.end())
        if fim < 0:  # unterminated: the rest is looked at as PDF syntax (stricter, never hides a name)
            break
        partes.append(data[inicio : achado.start() + 2])
        inicio = fim + len(b"endstream")
    partes.append(data[inicio:])
    return b" ".join(partes)


def _recusar_poliglota(data: bytes, fora_de_streams: bytes) -> None:
    """A file that is also a ZIP archive or an HTML page (another program would open it as that) is refused."""
    if zipfile.is_zipfile(io.BytesIO(data)) or any(assinatura in fora_de_streams for assinatura in _ZIP):
        raise PdfRecusado("o arquivo é ao mesmo tempo PDF e ZIP (poliglota): envie só o PDF da fatura")
    if _HTML.search(data):
        raise PdfRecusado("o arquivo é ao mesmo tempo PDF e página HTML (poliglota): envie só o PDF da fatura")


def _nomes_crus(fora_de_streams: bytes) -> set[str]:
    """PDF names written in the file outside stream payloads (``#xx`` escapes decoded)."""
    return {
        _ESCAPE_NOME.sub(lambda m: bytes([int(m.group(1), 16)]), nome).decode("latin-1")
        for nome in _NOME.findall(fora_de_streams)
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
            nomes.update(str(chave)[1:] for chave in objeto)
            pendentes.extend(dict.values(objeto))
        elif isinstance(objeto, ArrayObject):
            pendentes.extend(objeto)
        elif isinstance(objeto, NameObject):
            nomes.add(str(objeto)[1:])
    return nomes


def _acao_de_abertura(reader: PdfReader) -> str | None:
    """Any action run on opening (a URI, another file, a script…); only a plain jump inside the document passes."""
    acao = reader.trailer["/Root"].get_object().get("/OpenAction")
    acao = acao.get_object() if acao is not None else None
    if not isinstance(acao, DictionaryObject) or (acao.get("/S") == "/GoTo" and "/Next" not in acao):
        return None
    tipo = f" {acao['/S']}" if "/S" in acao else ""
    return f"ação executada ao abrir o documento (/OpenAction{tipo})"

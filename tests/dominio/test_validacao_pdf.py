"""The PDF gatekeeper: each kind of bad file is refused with a reason; a generated invoice passes."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import struct
import zlib
from decimal import Decimal

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from beg_pipeline.faturas.pdf_fatura import DadosFatura, gerar_pdf_fatura
from beg_pipeline.faturas.validacao_pdf import PdfRecusado, PdfValidado, validar_pdf

LIMITE = 20 * 1024 * 1024
FATURA = gerar_pdf_fatura(
    DadosFatura(
        operadora="Vivo",
        razao_social="BEG Telecomunicações Ltda",
        cnpj="84718741000100",
        mes_ano="11/2026",
        valor=Decimal("1234.56"),
        vencimento=dt.date(2026, 12, 10),
        filtro="0001",
    )
)


def _escrever(writer: PdfWriter) -> bytes:
    saida = io.BytesIO()
    writer.write(saida)
    return saida.getvalue()


def _fatura_alterada(alterar) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(FATURA))
    alterar(writer)
    return _escrever(writer)


def _acao(tipo: str, **campos: str) -> DictionaryObject:
    acao = DictionaryObject({NameObject("/S"): NameObject(tipo)})
    acao.update({NameObject(f"/{chave}"): TextStringObject(valor) for chave, valor in campos.items()})
    return acao


def _open_action(acao: DictionaryObject):
    return lambda writer: writer._root_object.__setitem__(NameObject("/OpenAction"), acao)


def _pdf_com_object_stream(catalogo_extra: bytes) -> bytes:
    """A PDF 1.5 whose catalog lives, compressed, inside an object stream (invisible in the raw bytes)."""
    objetos = {
        2: b"<< /Type /Catalog /Pages 3 0 R " + catalogo_extra + b" >>",
        3: b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        4: b"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 200 200] >>",
    }
    cabecalho, corpo = b"", b""
    for numero, objeto in objetos.items():
        cabecalho += b"%d %d " % (numero, len(corpo))
        corpo += objeto + b"\n"
    comprimido = zlib.compress(cabecalho + corpo)
    saida = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    posicao_objstm = len(saida)
    saida += (
        b"1 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (len(objetos), len(cabecalho), len(comprimido))
        + comprimido
        + b"\nendstream\nendobj\n"
    )
    posicao_xref = len(saida)
    linhas = [struct.pack(">BIH", 0, 0, 65535), struct.pack(">BIH", 1, posicao_objstm, 0)]
    linhas += [struct.pack(">BIH", 2, 1, indice) for indice in range(len(objetos))]
    linhas.append(struct.pack(">BIH", 1, posicao_xref, 0))
    tabela = b"".join(linhas)
    saida += (
        b"5 0 obj\n<< /Type /XRef /Size 6 /W [1 4 2] /Root 2 0 R /Length %d >>\nstream\n" % len(tabela)
        + tabela
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % posicao_xref
    )
    return saida


def test_generated_invoice_passes():
    validado = validar_pdf(FATURA, LIMITE)
    assert validado == PdfValidado(sha256=hashlib.sha256(FATURA).hexdigest(), paginas=1)


def test_clean_object_stream_pdf_passes():
    pdf = _pdf_com_object_stream(b"")
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    assert validar_pdf(pdf, LIMITE).paginas == 1


@pytest.mark.parametrize(
    ("conteudo", "motivo"),
    [
        (b"", "arquivo vazio"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "executável"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "executável"),
        (b"<!DOCTYPE html>\n<html><head><title>Login</title></head></html>", "HTML"),
        (b"PK\x03\x04" + b"\x00" * 100, "ZIP"),
        (b"%PDF-1.4\nbinario", "truncado"),
        (FATURA[: len(FATURA) // 2], "truncado"),
        (FATURA[: len(FATURA) // 2] + b"\n%%EOF\n", "ilegível"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n", "ilegível"),
    ],
    ids=["vazio", "exe", "elf", "html", "zip", "so-cabecalho", "metade", "metade-com-eof", "lixo"],
)
def test_files_that_are_not_sound_pdfs_are_refused(conteudo, motivo):
    with pytest.raises(PdfRecusado, match=motivo):
        validar_pdf(conteudo, LIMITE)


def test_oversize_is_refused_naming_the_limit_in_mb():
    with pytest.raises(PdfRecusado, match=r"limite de 1 MB"):
        validar_pdf(FATURA + b" " * (1024 * 1024), 1024 * 1024)
    with pytest.raises(PdfRecusado, match=r"limite de 0,5 MB"):
        validar_pdf(b"%PDF-" + b"0" * (600 * 1024), 512 * 1024)


def test_pdf_recusado_is_a_value_error():
    assert issubclass(PdfRecusado, ValueError)


ENCRIPTADOS = {
    "senha-de-usuario": lambda w: w.encrypt("segredo"),
    "so-senha-de-dono": lambda w: w.encrypt("", "dono", algorithm="AES-256"),
}


@pytest.mark.parametrize("cifrar", ENCRIPTADOS.values(), ids=ENCRIPTADOS.keys())
def test_encrypted_pdf_is_refused(cifrar):
    with pytest.raises(PdfRecusado, match="criptografado"):
        validar_pdf(_fatura_alterada(cifrar), LIMITE)


def _anotacao_com_aa(writer: PdfWriter) -> None:
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): _acao("/URI", URI="http://x")})


ATIVOS = {
    "openaction-javascript": (_open_action(_acao("/JavaScript", JS="app.alert(1)")), "/OpenAction.*JavaScript"),
    "javascript-no-name-tree": (lambda w: w.add_open_action(JavaScript("this.print();")), "JavaScript"),
    "launch": (_open_action(_acao("/Launch", F="cmd.exe")), "/OpenAction.*Launch"),
    "anexo": (lambda w: w.add_attachment("nota.exe", b"MZ\x90\x00"), "arquivo embutido"),
    "acoes-automaticas": (_anotacao_com_aa, "ações automáticas"),
}


@pytest.mark.parametrize(("alterar", "motivo"), ATIVOS.values(), ids=ATIVOS.keys())
def test_active_content_is_refused(alterar, motivo):
    with pytest.raises(PdfRecusado, match=motivo):
        validar_pdf(_fatura_alterada(alterar), LIMITE)


def test_javascript_hidden_in_compressed_object_stream_is_found():
    pdf = _pdf_com_object_stream(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>")
    assert b"JavaScript" not in pdf
    with pytest.raises(PdfRecusado, match="JavaScript"):
        validar_pdf(pdf, LIMITE)


def test_name_escapes_do_not_hide_javascript():
    pdf = _fatura_alterada(lambda w: None).replace(b"/Type /Catalog", b"/Type /Catalog /J#61vaScript 1", 1)
    with pytest.raises(PdfRecusado, match="JavaScript"):
        validar_pdf(pdf, LIMITE)


def test_names_that_merely_start_like_active_ones_pass():
    extras = {NameObject("/AAPL"): NameObject("/JSON"), NameObject("/Launcher"): NameObject("/X")}
    pdf = _fatura_alterada(lambda w: w._root_object.update(extras))
    assert validar_pdf(pdf, LIMITE).paginas == 1

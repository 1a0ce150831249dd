"""Reading generated invoices back, and reporting (never raising) on files that are not invoices."""

from __future__ import annotations

import datetime as dt
import io
import os
import zlib
from decimal import Decimal

import pytest
from fpdf import FPDF
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from beg_pipeline.faturas import isolamento
from beg_pipeline.faturas.boleto import codigo_barras_arrecadacao, formatar_linha_digitavel, linha_digitavel
from beg_pipeline.faturas.isolamento import LimitesPdf
from beg_pipeline.faturas.leitura import LeituraFatura, ler_fatura, ler_fatura_sem_isolamento
from beg_pipeline.faturas.pdf_fatura import DadosFatura, codigo_barras_da_fatura, gerar_pdf_fatura
from beg_pipeline.faturas.validacao_pdf import validar_pdf
from tests.dominio.test_validacao_pdf import pdf_de_objetos

RAZAO = "RICAL - RACK INDÚSTRIA E COMÉRCIO DE PLÁSTICOS LTDA"


def _dados(valor: str = "1234.56", **kwargs) -> DadosFatura:
    campos = {
        "operadora": "Embratel",
        "razao_social": RAZAO,
        "cnpj": "84718741000100",
        "mes_ano": "11/2026",
        "valor": Decimal(valor),
        "vencimento": dt.date(2026, 12, 10),
        "filtro": "00052488515-0000_25",
    } | kwargs
    return DadosFatura(**campos)


def _texto(pdf: bytes) -> str:
    return "\n".join(pagina.extract_text() for pagina in PdfReader(io.BytesIO(pdf)).pages)


def _pdf_com_texto(*linhas: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for linha in linhas:
        pdf.cell(0, 8, linha, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@pytest.mark.parametrize("valor", ["1234.56", "98765.43", "0.01", "7.00", "1000000.00"])
def test_reads_back_generated_invoice(valor):
    dados = _dados(valor, vencimento=dt.date(2027, 1, 5), mes_ano="12/2026")
    leitura = ler_fatura(gerar_pdf_fatura(dados))
    assert leitura.legivel, leitura.problemas
    assert leitura.valor == Decimal(valor)
    assert leitura.vencimento == dt.date(2027, 1, 5)
    assert leitura.mes_referencia == "12/2026"
    assert leitura.linha_digitavel == linha_digitavel(codigo_barras_da_fatura(dados))
    assert leitura.valor_confere is True
    assert leitura.paginas == 1
    assert leitura.problemas == []


def test_invoice_shows_the_printed_fields_with_accents():
    texto = _texto(gerar_pdf_fatura(_dados()))
    assert RAZAO in texto
    assert "84.718.741/0001-00" in texto
    assert "Referência 11/2026" in texto
    assert "Total a pagar R$ 1.234,56" in texto
    assert "Vencimento 10/12/2026" in texto
    assert formatar_linha_digitavel(linha_digitavel(codigo_barras_da_fatura(_dados()))) in texto


def test_characters_outside_latin1_are_transliterated():
    texto = _texto(gerar_pdf_fatura(_dados(razao_social="AÇO “FORTE” – ŠKODA Ltda")))
    assert 'AÇO "FORTE" - SKODA Ltda' in texto


def test_mismatch_between_total_and_linha_digitavel_is_reported():
    outra = linha_digitavel(codigo_barras_arrecadacao(Decimal("20.00"), "0001", "0" * 25))
    pdf = _pdf_com_texto(
        "Mes de referencia: 10/2026", "Valor total: R$ 10,00", "Data de vencimento: 05/11/2026", outra
    )
    leitura = ler_fatura(pdf)
    assert leitura.legivel
    assert (leitura.valor, leitura.vencimento, leitura.mes_referencia) == (
        Decimal("10.00"),
        dt.date(2026, 11, 5),
        "10/2026",
    )
    assert leitura.linha_digitavel == outra
    assert leitura.valor_confere is False
    assert any("difere do total" in problema and "20,00" in problema for problema in leitura.problemas)


def test_reference_month_by_name():
    assert ler_fatura(_pdf_com_texto("Referência: novembro de 2026")).mes_referencia == "11/2026"
    assert ler_fatura(_pdf_com_texto("Referencia NOV/2026")).mes_referencia == "11/2026"


def test_text_pdf_without_invoice_fields_lists_each_missing_field():
    leitura = ler_fatura(_pdf_com_texto("Comunicado aos clientes", "Vencimento 31/02/2026"))
    assert leitura.legivel
    assert (leitura.valor, leitura.vencimento, leitura.mes_referencia, leitura.linha_digitavel) == (None,) * 4
    assert leitura.valor_confere is None
    problemas = " | ".join(leitura.problemas)
    for esperado in ("valor total", "vencimento inválida", "mês de referência", "linha digitável não encontrada"):
        assert esperado in problemas


def test_invalid_linha_digitavel_is_reported():
    linha = linha_digitavel(codigo_barras_da_fatura(_dados()))
    estragada = linha[:5] + str((int(linha[5]) + 1) % 10) + linha[6:]
    leitura = ler_fatura(_pdf_com_texto("Total a pagar R$ 1.234,56", estragada))
    assert leitura.linha_digitavel is None and leitura.valor_confere is None
    assert any("linha digitável inválida" in problema for problema in leitura.problemas)


def _pdf_sem_texto() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    saida = io.BytesIO()
    writer.write(saida)
    return saida.getvalue()


def _pdf_com_senha() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(gerar_pdf_fatura(_dados())))
    writer.encrypt("segredo")
    saida = io.BytesIO()
    writer.write(saida)
    return saida.getvalue()


_FATURA = gerar_pdf_fatura(_dados())


@pytest.mark.parametrize(
    ("conteudo", "motivo"),
    [
        (b"", "vazio"),
        (b"<!DOCTYPE html>\n<html><body>Sessao expirada</body></html>", "HTML"),
        (_FATURA[: len(_FATURA) // 2], "truncado"),
        (_FATURA[: len(_FATURA) // 2] + b"\n%%EOF\n", "corrompido"),
        (os.urandom(4096), "não é um PDF"),
        (b"%PDF-1.7\n" + os.urandom(4096) + b"\n%%EOF\n", "corrompido"),
        (_pdf_sem_texto(), "nenhum texto"),
        (_pdf_com_senha(), "senha"),
    ],
    ids=["vazio", "html", "truncado", "metade-com-eof", "aleatorio", "cabecalho-e-lixo", "sem-texto", "senha"],
)
def test_unreadable_files_are_reported_not_raised(conteudo, motivo):
    leitura = ler_fatura(conteudo)
    assert leitura.legivel is False
    assert leitura.valor is None and leitura.linha_digitavel is None
    assert any(motivo in problema for problema in leitura.problemas), leitura.problemas


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048) | st.binary(max_size=2048).map(lambda b: b"%PDF-1.4\n" + b + b"%%EOF"))
def test_never_raises_on_arbitrary_bytes(conteudo):
    leitura = ler_fatura(conteudo)
    assert leitura.legivel is False
    assert leitura.problemas


# --------------------------------------------------------------------------- bounded work (issue 14, finding 1)


def _bomba_de_texto(operacoes: int) -> bytes:
    """A 10 KB file whose one page's compressed content stream expands into ``operacoes`` text operators
    (100,000: 12.8 s of CPU to extract the text)."""
    conteudo = zlib.compress(b"BT /F1 12 Tf 10 10 Td (Total a pagar R$ 1,00) Tj ET\n" * operacoes)
    return pdf_de_objetos({
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
           b" /Resources << /Font << /F1 5 0 R >> >> >>",
        4: b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(conteudo) + conteudo + b"\nendstream",
        5: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    })


def test_text_bomb_is_stopped_by_the_cpu_limit_and_reported():
    leitura = ler_fatura(_bomba_de_texto(60_000), limites=LimitesPdf(cpu_s=1))
    assert not leitura.legivel and leitura.valor is None
    assert leitura.problemas == ["PDF complexo demais para ler (excedeu o limite de 1 s de processamento)"]
    assert ler_fatura(_FATURA, limites=LimitesPdf(cpu_s=1)).valor == Decimal("1234.56")  # the next file is read


def test_small_text_stream_is_read_in_the_isolated_worker():
    leitura = ler_fatura(_bomba_de_texto(3))
    assert leitura.legivel and leitura.valor == Decimal("1.00") and leitura.paginas == 1


def test_a_long_invoice_is_read_from_its_first_and_last_pages_within_a_small_budget():
    """5,000 pages (a call listing): the summary on page 1 and the boleto on the last page are found, and reading
    does not extract every page (about 25 s of CPU here): it fits 2 s."""
    fatura = PdfReader(io.BytesIO(gerar_pdf_fatura(_dados())))
    listagem = PdfReader(io.BytesIO(_pdf_com_texto("01/11/2026 10:22 (69) 99999-9999 00:03:12 R$ 0,45")))
    writer = PdfWriter()
    writer.add_page(fatura.pages[0])
    for _ in range(4_998):
        writer.add_page(listagem.pages[0])
    writer.add_page(fatura.pages[0])
    saida = io.BytesIO()
    writer.write(saida)
    leitura = ler_fatura(saida.getvalue(), limites=LimitesPdf(cpu_s=2))
    assert leitura.paginas == 5_000
    assert (leitura.valor, leitura.vencimento, leitura.mes_referencia) == (
        Decimal("1234.56"), dt.date(2026, 12, 10), "11/2026")
    assert leitura.linha_digitavel is not None and leitura.valor_confere


def test_reading_survives_the_json_round_trip_from_the_worker():
    leitura = ler_fatura(_FATURA)
    assert LeituraFatura.de_json(leitura.para_json()) == leitura
    assert isinstance(leitura.valor, Decimal) and isinstance(leitura.vencimento, dt.date)


def test_the_reading_made_during_validation_is_reused_and_not_shared():
    validado = validar_pdf(_FATURA, 20 * 1024 * 1024)
    assert isolamento.leitura_guardada(validado.sha256) is not None  # one worker task served both calls
    primeira = ler_fatura(_FATURA)
    primeira.problemas.append("anotado pelo chamador")
    assert ler_fatura(_FATURA) == ler_fatura_sem_isolamento(_FATURA)

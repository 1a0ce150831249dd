"""A realistic one-page carrier invoice (fatura) as PDF, for the robot simulator, demos and tests."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF

from beg_pipeline.domain import formatos
from beg_pipeline.faturas.boleto import codigo_barras_arrecadacao, formatar_linha_digitavel, linha_digitavel

_SUBSTITUICOES = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "-"})


@dataclass(frozen=True)
class DadosFatura:
    operadora: str
    razao_social: str
    cnpj: str
    mes_ano: str  # "MM/AAAA"
    valor: Decimal
    vencimento: dt.date
    filtro: str  # the carrier's account / contract identifier
    valor_boleto: Decimal | None = None  # the payment slip's amount when it differs from the total (a faulty invoice)


def latin1(texto: str) -> str:
    """Text the PDF core fonts can draw: Portuguese accents stay, other characters are transliterated."""
    saida = []
    for caractere in texto.translate(_SUBSTITUICOES):
        try:
            caractere.encode("latin-1")
            saida.append(caractere)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", caractere).encode("latin-1", "ignore").decode("latin-1")
            saida.append(base or "?")
    return "".join(saida)


def codigo_barras_da_fatura(dados: DadosFatura) -> str:
    """The 44-digit barcode (segment 4, telecom) of this invoice: a fictitious company code per carrier,
    then the due date (AAAAMMDD) and the last 17 digits of the filtro as campo livre."""
    empresa = f"{zlib.crc32(dados.operadora.upper().encode()) % 10_000:04d}"
    digitos_filtro = re.sub(r"\D", "", dados.filtro)[-17:].rjust(17, "0")
    campo_livre = dados.vencimento.strftime("%Y%m%d") + digitos_filtro
    valor = dados.valor if dados.valor_boleto is None else dados.valor_boleto
    return codigo_barras_arrecadacao(valor, empresa, campo_livre)


def _itens(valor: Decimal) -> list[tuple[str, Decimal]]:
    assinatura = (valor * Decimal("0.55")).quantize(Decimal("0.01"))
    dados = (valor * Decimal("0.30")).quantize(Decimal("0.01"))
    return [
        ("Assinatura mensal - plano corporativo", assinatura),
        ("Serviços de dados e internet", dados),
        ("Chamadas locais e longa distância", valor - assinatura - dados),
    ]


def _linha(pdf: FPDF, altura: float, texto: str, **opcoes) -> None:
    pdf.cell(pdf.epw, altura, latin1(texto), new_x="LMARGIN", new_y="NEXT", **opcoes)


def gerar_pdf_fatura(dados: DadosFatura) -> bytes:
    """One A4 page: carrier header, customer, reference month, items, total, due date and payment slip."""
    codigo_barras = codigo_barras_da_fatura(dados)
    total = formatos.numero(dados.valor)
    vencimento = formatos.data(dados.vencimento)
    emissao = dados.vencimento - dt.timedelta(days=10)

    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime.combine(emissao, dt.time(12), tzinfo=dt.UTC))  # same data, same bytes
    pdf.set_title(latin1(f"Fatura {dados.operadora} {dados.mes_ano}"))
    pdf.set_author(latin1(dados.operadora))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    largura = pdf.epw

    pdf.set_fill_color(20, 60, 120)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("Helvetica", "B", 22)
    _linha(pdf, 16, dados.operadora.upper(), fill=True)
    pdf.set_font("Helvetica", "", 10)
    _linha(pdf, 7, "Fatura de serviços de telecomunicações", fill=True)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(6)

    pdf.set_font("Helvetica", "B", 11)
    _linha(pdf, 6, "Dados do cliente")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(largura, 6, latin1(f"Razão social: {dados.razao_social}"), new_x="LMARGIN", new_y="NEXT")
    for texto in (
        f"CNPJ: {formatos.cnpj(dados.cnpj)}",
        f"Conta / contrato: {dados.filtro}",
        f"Referência {dados.mes_ano}",
        f"Emissão {formatos.data(emissao)}",
    ):
        _linha(pdf, 6, texto)
    pdf.ln(4)

    pdf.set_font("Helvetica", "B", 10)
    pdf.set_fill_color(230, 230, 230)
    pdf.cell(largura - 40, 7, latin1("Serviço"), border=1, fill=True)
    pdf.cell(40, 7, "Valor (R$)", border=1, fill=True, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for descricao, valor in _itens(dados.valor):
        pdf.cell(largura - 40, 7, latin1(descricao), border=1)
        pdf.cell(40, 7, formatos.numero(valor), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    _linha(pdf, 6, "Tributos (ICMS, PIS, COFINS, FUST, FUNTTEL) incluídos nos valores.")
    pdf.ln(4)

    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(largura / 2, 10, f"Total a pagar R$ {total}", border=1)
    pdf.cell(largura / 2, 10, f"Vencimento {vencimento}", border=1, align="R", new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(-80)
    pdf.set_draw_color(120, 120, 120)
    pdf.dashed_line(pdf.l_margin, pdf.get_y(), pdf.l_margin + largura, pdf.get_y(), 2, 1)
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 11)
    _linha(pdf, 6, f"{dados.operadora} - Documento de arrecadação")
    pdf.set_font("Helvetica", "", 9)
    _linha(pdf, 5, "Pagável em qualquer banco até o vencimento.")
    _linha(pdf, 5, f"Valor do documento R$ {total}")
    pdf.ln(2)
    pdf.set_font("Courier", "B", 12)
    _linha(pdf, 7, formatar_linha_digitavel(linha_digitavel(codigo_barras)))
    pdf.ln(2)
    pdf.set_fill_color(0, 0, 0)
    pdf.interleaved2of5(codigo_barras, pdf.l_margin, pdf.get_y(), w=0.9, h=13)
    return bytes(pdf.output())

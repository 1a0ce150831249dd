"""FEBRABAN arrecadação barcode and linha digitável."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from beg_pipeline.faturas.boleto import (
    codigo_barras_arrecadacao,
    formatar_linha_digitavel,
    ler_codigo_barras,
    ler_linha_digitavel,
    linha_digitavel,
    modulo10,
    modulo11,
)

# Published examples of arrecadação lines (one per check-digit module), independent of this code.
EXEMPLO_MOD10 = "83640000001-1 33120138000-2 81288462711-6 08013618155-1"
EXEMPLO_MOD11 = "85890000460-9 52460179160-5 60759305086-5 83148300001-0"

valores = st.integers(min_value=0, max_value=10**11 - 1).map(lambda c: Decimal(c) / 100)
digitos = st.text(alphabet="0123456789", min_size=25, max_size=25)
empresas = st.text(alphabet="0123456789", min_size=4, max_size=4)


def test_modulo10_and_modulo11_rules():
    assert modulo10("83640000001") == 1  # block DVs of the published examples
    assert modulo10("33120138000") == 2
    assert modulo11("85890000460") == 9
    assert modulo11("52460179160") == 5
    assert modulo10("0") == 0
    assert modulo10("5") == 9  # 5*2 = 10 -> 1+0 = 1 -> 10-1 = 9
    assert modulo11("0") == 0  # remainder 0 -> 0
    assert modulo11("5") == 1  # 5*2 = 10 -> remainder 10 -> 11-10 = 1
    assert modulo11("3") == 5  # 3*2 = 6 -> 11-6 = 5
    assert modulo11("6") == 0  # 6*2 = 12 -> remainder 1 -> 0


@pytest.mark.parametrize(
    ("linha", "valor", "segmento", "identificador"),
    [(EXEMPLO_MOD10, Decimal("133.12"), 3, 6), (EXEMPLO_MOD11, Decimal("46052.46"), 5, 8)],
)
def test_published_examples_are_valid(linha, valor, segmento, identificador):
    boleto = ler_linha_digitavel(linha)
    assert (boleto.valor, boleto.segmento, boleto.identificador_valor) == (valor, segmento, identificador)
    assert formatar_linha_digitavel(boleto.linha_digitavel) == linha
    assert ler_codigo_barras(boleto.codigo_barras) == boleto


def test_telecom_invoice_barcode_layout():
    codigo = codigo_barras_arrecadacao(Decimal("1234.56"), "0123", "2026121000000000000000001")
    assert len(codigo) == 44
    assert codigo[:3] == "846"  # arrecadação, telecom, valor em reais com módulo 10
    assert codigo[4:15] == "00000123456"
    assert codigo[15:19] == "0123" and codigo[19:] == "2026121000000000000000001"
    linha = linha_digitavel(codigo)
    assert len(linha) == 48
    assert [linha[i : i + 11] for i in range(0, 48, 12)] == [codigo[i : i + 11] for i in range(0, 44, 11)]
    formatada = formatar_linha_digitavel(linha)
    assert formatada == " ".join(f"{linha[i:i + 11]}-{linha[i + 11]}" for i in range(0, 48, 12))


@given(valor=valores, empresa=empresas, campo_livre=digitos, segmento=st.sampled_from([1, 2, 3, 4, 5, 7, 9]))
def test_round_trip(valor, empresa, campo_livre, segmento):
    codigo = codigo_barras_arrecadacao(valor, empresa, campo_livre, segmento=segmento)
    boleto = ler_linha_digitavel(formatar_linha_digitavel(linha_digitavel(codigo)))
    assert boleto.codigo_barras == codigo
    assert boleto.valor == valor
    assert (boleto.segmento, boleto.empresa, boleto.campo_livre) == (segmento, empresa, campo_livre)


def test_segment_6_identifies_company_by_cnpj_root():
    codigo = codigo_barras_arrecadacao(Decimal("10.00"), "84718741", "1" * 21, segmento=6)
    boleto = ler_codigo_barras(codigo)
    assert (boleto.empresa, boleto.campo_livre) == ("84718741", "1" * 21)


@given(valor=valores, campo_livre=digitos, posicao=st.integers(0, 47), incremento=st.integers(1, 9))
def test_any_single_digit_change_is_detected(valor, campo_livre, posicao, incremento):
    linha = linha_digitavel(codigo_barras_arrecadacao(valor, "0042", campo_livre))
    alterada = linha[:posicao] + str((int(linha[posicao]) + incremento) % 10) + linha[posicao + 1 :]
    with pytest.raises(ValueError):
        ler_linha_digitavel(alterada)


def test_block_check_digit_error_names_the_block():
    linha = linha_digitavel(codigo_barras_arrecadacao(Decimal("98765.43"), "0042", "0" * 25))
    alterada = linha[:23] + str((int(linha[23]) + 1) % 10) + linha[24:]
    with pytest.raises(ValueError, match="bloco 2"):
        ler_linha_digitavel(alterada)


def test_wrong_general_check_digit_with_consistent_blocks():
    codigo = codigo_barras_arrecadacao(Decimal("98765.43"), "0042", "0" * 25)
    errado = codigo[:3] + str((int(codigo[3]) + 1) % 10) + codigo[4:]
    blocos = [errado[i : i + 11] for i in range(0, 44, 11)]
    linha = "".join(bloco + str(modulo10(bloco)) for bloco in blocos)
    with pytest.raises(ValueError, match="dígito verificador geral"):
        ler_linha_digitavel(linha)
    with pytest.raises(ValueError, match="dígito verificador geral"):
        ler_codigo_barras(errado)


@pytest.mark.parametrize(
    ("texto", "mensagem"),
    [
        ("8364000000113312013800028128846271108013618155", "48 dígitos"),
        ("83640000001-1 33120138000-2 81288462711-6 08013618155-1 9", "48 dígitos"),
        ("83640000001-1 33120138000-2 81288462711-6 0801361815X-1", "só pode ter dígitos"),
        ("23790000001-1 33120138000-2 81288462711-6 08013618155-1", "esperado 8"),
        ("83540000001-1 33120138000-2 81288462711-6 08013618155-1", "identificação do valor"),
    ],
)
def test_malformed_lines_are_rejected_with_a_reason(texto, mensagem):
    with pytest.raises(ValueError, match=mensagem):
        ler_linha_digitavel(texto)


@pytest.mark.parametrize(
    ("kwargs", "mensagem"),
    [
        ({"valor": Decimal("-1")}, "valor inválido"),
        ({"valor": Decimal("1.005")}, "valor inválido"),
        ({"valor": Decimal("1000000000.00")}, "valor inválido"),
        ({"empresa": "123"}, "4 dígitos"),
        ({"campo_livre": "1" * 24}, "25 dígitos"),
        ({"segmento": 0}, "segmento"),
    ],
)
def test_building_rejects_bad_input(kwargs, mensagem):
    argumentos = {"valor": Decimal("1.00"), "empresa": "0001", "campo_livre": "0" * 25} | kwargs
    with pytest.raises(ValueError, match=mensagem):
        codigo_barras_arrecadacao(**argumentos)


def test_quantity_of_currency_has_no_amount_in_reais():
    codigo = codigo_barras_arrecadacao(Decimal("5.00"), "0001", "0" * 25, identificador_valor=7)
    assert ler_codigo_barras(codigo).valor is None

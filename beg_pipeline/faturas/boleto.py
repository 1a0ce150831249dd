"""FEBRABAN "arrecadação" barcodes (convênios: telecom, energia, água…), the kind carrier invoices carry.

Layout Padrão de Arrecadação/Recebimento com Utilização do Código de Barras, 44 digits:

====  ===========================================================================
01    produto: ``8`` (arrecadação)
02    segmento: 1 prefeituras, 2 saneamento, 3 energia/gás, 4 telecomunicações,
      5 órgãos governamentais, 6 empresas identificadas pelo CNPJ, 7 multas, 9 uso do banco
03    identificação do valor: 6 valor em reais / 7 quantidade de moeda (DV módulo 10),
      8 valor em reais / 9 quantidade de moeda (DV módulo 11)
04    dígito verificador geral, calculado sobre as outras 43 posições
05-15 valor (11 dígitos, centavos)
16-19 identificação da empresa/órgão (segmento 6: 16-23, raiz do CNPJ)
20-44 campo livre da empresa (segmento 6: 24-44)
====  ===========================================================================

The linha digitável splits the 44 digits in 4 blocks of 11, each followed by its own DV
(same module as the general DV): 48 digits, printed ``NNNNNNNNNNN-D NNNNNNNNNNN-D …``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_MODULO_10 = frozenset("67")
_MODULO_11 = frozenset("89")
_SEPARADORES = re.compile(r"[\s.\-]+")


def modulo10(numero: str) -> int:
    """DV módulo 10: weights 2,1,2,1… from the right, digits of each product summed."""
    soma = 0
    for i, digito in enumerate(reversed(numero)):
        produto = int(digito) * (2 if i % 2 == 0 else 1)
        soma += produto // 10 + produto % 10
    return (10 - soma % 10) % 10


def modulo11(numero: str) -> int:
    """DV módulo 11 of arrecadação: weights 2..9 from the right; remainder 0 or 1 gives 0, 10 gives 1."""
    soma = sum(int(digito) * (2 + i % 8) for i, digito in enumerate(reversed(numero)))
    resto = soma % 11
    return 0 if resto in (0, 1) else 11 - resto


def _dv(identificador_valor: str, numero: str) -> int:
    if identificador_valor in _MODULO_10:
        return modulo10(numero)
    if identificador_valor in _MODULO_11:
        return modulo11(numero)
    raise ValueError(f"identificação do valor inválida: {identificador_valor!r} (esperado 6, 7, 8 ou 9)")


@dataclass(frozen=True)
class BoletoArrecadacao:
    codigo_barras: str  # 44 digits
    segmento: int
    identificador_valor: int
    valor: Decimal | None  # reais with 2 decimals; None for 7/9 (quantidade de moeda, not reais)
    empresa: str
    campo_livre: str

    @property
    def linha_digitavel(self) -> str:
        return linha_digitavel(self.codigo_barras)


def _tamanho_empresa(segmento: int) -> int:
    return 8 if segmento == 6 else 4


def codigo_barras_arrecadacao(
    valor: Decimal, empresa: str, campo_livre: str, segmento: int = 4, identificador_valor: int = 6
) -> str:
    """The 44-digit barcode; ``empresa`` has 4 digits (8 for segmento 6), ``campo_livre`` the rest (25 or 21)."""
    if segmento not in range(1, 10):
        raise ValueError(f"segmento inválido: {segmento} (1 a 9)")
    centavos = Decimal(valor) * 100
    if centavos < 0 or centavos != centavos.to_integral_value() or centavos >= 10**11:
        raise ValueError(f"valor inválido para o código de barras: {valor} (0 a 999.999.999,99, em centavos)")
    tamanho = _tamanho_empresa(segmento)
    if not (empresa.isdecimal() and empresa.isascii() and len(empresa) == tamanho):
        raise ValueError(f"identificação da empresa deve ter {tamanho} dígitos: {empresa!r}")
    if not (campo_livre.isdecimal() and campo_livre.isascii() and len(campo_livre) == 29 - tamanho):
        raise ValueError(f"campo livre deve ter {29 - tamanho} dígitos: {campo_livre!r}")
    identificador = str(identificador_valor)
    sem_dv = f"8{segmento}{identificador}{int(centavos):011d}{empresa}{campo_livre}"
    return sem_dv[:3] + str(_dv(identificador, sem_dv)) + sem_dv[3:]


def linha_digitavel(codigo_barras: str) -> str:
    """The 48 digits (no separators) of a valid 44-digit arrecadação barcode."""
    ler_codigo_barras(codigo_barras)
    identificador = codigo_barras[2]
    blocos = [codigo_barras[i : i + 11] for i in range(0, 44, 11)]
    return "".join(bloco + str(_dv(identificador, bloco)) for bloco in blocos)


def formatar_linha_digitavel(linha: str) -> str:
    """``83640000001-1 33120138000-2 81288462711-6 08013618155-1``: how it is printed on invoices."""
    digitos = _SEPARADORES.sub("", linha)
    if len(digitos) != 48 or not digitos.isdecimal():
        raise ValueError(f"a linha digitável de arrecadação tem 48 dígitos (recebidos {len(digitos)})")
    return " ".join(f"{digitos[i : i + 11]}-{digitos[i + 11]}" for i in range(0, 48, 12))


def ler_codigo_barras(codigo_barras: str) -> BoletoArrecadacao:
    """Parse and validate a 44-digit arrecadação barcode; ``ValueError`` says what is wrong."""
    if len(codigo_barras) != 44 or not (codigo_barras.isdecimal() and codigo_barras.isascii()):
        raise ValueError(f"o código de barras de arrecadação tem 44 dígitos (recebido {codigo_barras!r})")
    if codigo_barras[0] != "8":
        raise ValueError(f"não é um código de arrecadação: começa com {codigo_barras[0]}, esperado 8")
    identificador = codigo_barras[2]
    esperado = _dv(identificador, codigo_barras[:3] + codigo_barras[4:])
    if int(codigo_barras[3]) != esperado:
        raise ValueError(f"dígito verificador geral inválido: {codigo_barras[3]} (esperado {esperado})")
    segmento = int(codigo_barras[1])
    tamanho = _tamanho_empresa(segmento)
    centavos = int(codigo_barras[4:15])
    return BoletoArrecadacao(
        codigo_barras=codigo_barras,
        segmento=segmento,
        identificador_valor=int(identificador),
        valor=(Decimal(centavos) / 100).quantize(Decimal("0.01")) if identificador in ("6", "8") else None,
        empresa=codigo_barras[15 : 15 + tamanho],
        campo_livre=codigo_barras[15 + tamanho :],
    )


def ler_linha_digitavel(texto: str) -> BoletoArrecadacao:
    """Parse a linha digitável (spaces, dots and hyphens allowed), checking each block's DV and the general DV."""
    digitos = _SEPARADORES.sub("", texto)
    if not (digitos.isdecimal() and digitos.isascii()):
        raise ValueError(f"a linha digitável só pode ter dígitos, espaços, pontos e hífens: {texto!r}")
    if len(digitos) != 48:
        raise ValueError(f"a linha digitável de arrecadação tem 48 dígitos (recebidos {len(digitos)})")
    if digitos[0] != "8":
        raise ValueError(f"não é uma linha digitável de arrecadação: começa com {digitos[0]}, esperado 8")
    identificador = digitos[2]
    for numero, inicio in enumerate(range(0, 48, 12), start=1):
        bloco, dv = digitos[inicio : inicio + 11], int(digitos[inicio + 11])
        esperado = _dv(identificador, bloco)
        if dv != esperado:
            raise ValueError(f"dígito verificador do bloco {numero} inválido: {dv} (esperado {esperado})")
    return ler_codigo_barras("".join(digitos[i : i + 11] for i in range(0, 48, 12)))

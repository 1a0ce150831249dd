"""Generator of ``tests/fixtures/clientes/exportacao_beg.csv``: a client export shaped like BEG's real one.

196 rows in the proportions of ../shared/legacy/README.md ("Shape of BEG's real export"), Windows-1252 with CRLF
like the spreadsheet's export, and its dirty cases: text double-encoded by a past export, a soft hyphen in a CNPJ,
two CNPJs in one cell, two rows repeated with the same HASH, free text in CPF, trailing spaces in the header and
in cells, OPERADORA in any case, phone numbers in SERVIÇO for AZUTON, two OI accounts differing only by FILTRO.
Deterministic: ``python -m tests.exportacao_beg`` rewrites the committed file byte for byte.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from pathlib import Path

from stdnum.br import cnpj as stdnum_cnpj

ARQUIVO = Path(__file__).parent / "fixtures" / "clientes" / "exportacao_beg.csv"
CABECALHO = ["HASH", "RAZÃO SOCIAL", "NOME SAT", "CNPJ", "OPERADORA", "FILTRO", "SERVIÇO", "DADOS SAT",
             "UNIDADE / FILTRO SAT", "CATEGORIAS / FILTRO SAT", "SITE PARA EMISSÃO ", "LOGIN ", "SENHA", "CPF", "OBS",
             "STATUS", "PATCHDOWNLOAD", "ATUALIZA/CRIA"]


@dataclass(frozen=True)
class Forma:
    """One carrier's rows in the real export (README table)."""

    linhas: int
    com_filtro: int
    com_credenciais: bool
    sem_site: int  # rows whose SITE cell is empty
    grafias: tuple[str, ...]  # how OPERADORA is written


FORMAS = {
    "AZUTON": Forma(56, 0, False, 6, ("AZUTON", "Azuton", "azuton ")),
    "VIVO": Forma(44, 0, False, 44, ("VIVO", "Vivo", "vivo")),
    "OI": Forma(56, 29, True, 5, ("OI", "Oi", " Oi")),
    "DIGITALNET": Forma(27, 27, True, 0, ("DIGITALNET", "DigitalNet", "Digital Net")),
    "EMBRATEL": Forma(12, 12, True, 0, ("EMBRATEL", "Embratel")),
    "NET": Forma(1, 0, False, 0, ("NET",)),
}
SITES = {"AZUTON": "https://azuton.com.br/segunda-via", "OI": "https://www.oi.com.br/empresas/",
         "DIGITALNET": "https://cliente.digitalnet.com.br", "EMBRATEL": "https://webebt01.embratel.com.br/",
         "NET": "https://www.net.com.br/empresas"}
SERVICOS = ("Telefonia Fixa", "Móvel", "Internet", "Link Dedicado", "Dados", "0800")
UNIDADES = ("Belém-PA", "Ananindeua-PA", "Marabá-PA", "Santarém-PA", "Porto Velho-RO", "Ji-Paraná-RO",
            "Manaus-AM", "Macapá-AP")
EMPRESAS = ("SUPERMERCADOS LÍDER", "HOSPITAL SÃO CAMILO", "CONSTRUTORA AÇAÍ", "TRANSPORTES GUAMÁ", "FARMÁCIA POPULAR",
            "ESCOLA PEQUENO PRÍNCIPE", "METALÚRGICA NORTE", "COOPERATIVA CAMETÁ", "AGROPECUÁRIA XINGU",
            "CLÍNICA SANTA MARIA", "DISTRIBUIDORA TAPAJÓS", "PANIFICADORA ESTRELA", "HOTEL AMAZÔNIA", "ÓTICA VISÃO",
            "AUTO PEÇAS BRAGANÇA", "LABORATÓRIO VIDA")
# Written by a past export that saved UTF-8 text as Windows-1252 (read back as "SOLUÃ‡Ã•ES").
DUPLAMENTE_CODIFICADAS = ("SOLUÇÕES EM TELECOMUNICAÇÕES", "CONSTRUÇÃO E INCORPORAÇÃO", "ALIMENTAÇÃO ESCOLAR")
CPF_TEXTO_LIVRE = ("VER COM FINANCEIRO", "não possui", "SOLICITAR AO CLIENTE")
# Real files carry these: (row, carrier) positions are fixed so tests can point at them by line.
LINHA_DOIS_CNPJS = 150  # physical line (header = 1) whose CNPJ cell holds two CNPJs
REPETIDAS = (("VIVO", 3), ("AZUTON", 10))  # each of these rows appears twice (same HASH and data) in a row


def _duplamente_codificado(texto: str) -> str:
    return texto.encode("utf-8").decode("cp1252")


def _cnpj(rnd: random.Random) -> str:
    base = f"{rnd.randrange(10**7, 10**8)}{rnd.choice(('0001', '0002', '0003'))}"
    return base + stdnum_cnpj.calc_check_digits(base)


def _telefone(rnd: random.Random, vistos: set[str]) -> str:
    while True:
        telefone = f"({rnd.choice((91, 93, 94))}) {rnd.randrange(2000, 4000)}-{rnd.randrange(10000):04d}"
        if telefone not in vistos:
            vistos.add(telefone)
            return telefone


def _linhas() -> list[list[str]]:
    rnd = random.Random(20261202)
    empresas = []
    for n in range(70):
        nome = f"{EMPRESAS[n % len(EMPRESAS)]} {n + 1:02d} LTDA"
        if n < len(DUPLAMENTE_CODIFICADAS):
            nome = f"{_duplamente_codificado(DUPLAMENTE_CODIFICADAS[n])} {n + 1:02d} LTDA"
        empresas.append((nome, _cnpj(rnd)))
    telefones: set[str] = set()
    chaves: set[tuple] = set()
    linhas: list[list[str]] = []
    for codigo, forma in FORMAS.items():
        for i in range(forma.linhas):
            while True:  # the export never repeats an account (natural key) except on purpose below
                razao, cnpj = rnd.choice(empresas)
                unidade = rnd.choice(UNIDADES)
                if codigo == "AZUTON" and i != 7 or codigo == "OI" and i == 40:
                    servico = _telefone(rnd, telefones)
                else:
                    servico = rnd.choice(SERVICOS)
                filtro = f"{rnd.randrange(10**9, 10**10)}-{i:04d}" if i < forma.com_filtro else ""
                if (cnpj, codigo, filtro, unidade, servico) not in chaves:
                    break
            chaves.add((cnpj, codigo, filtro, unidade, servico))
            login, senha = (f"{codigo.lower()}.{i:03d}", f"Senha#Canario{300 + len(linhas)}") \
                if forma.com_credenciais else ("", "")
            cpf = rnd.choice(("", "", "", "529.982.247-25"))
            linhas.append([
                f"{rnd.getrandbits(64):016x}", razao, razao.removesuffix(" LTDA"), stdnum_cnpj.format(cnpj),
                forma.grafias[i % len(forma.grafias)], filtro, servico, f"SAT-{len(linhas) + 1:04d}", unidade,
                "TELEFONIA" if servico[0] == "(" or servico in ("Telefonia Fixa", "0800") else "DADOS",
                "" if i < forma.sem_site else SITES.get(codigo, ""), login, senha, cpf,
                rnd.choice(("", "", "", "Fatura vem por e-mail, conferir", "Cobrança centralizada na matriz")),
                "INATIVO" if i == forma.linhas - 1 and forma.linhas > 20 else "ATIVO",
                rnd.choice(("S", "")), rnd.choice(("ATUALIZA", "CRIA"))])
    _sujar(rnd, linhas)
    return linhas


def _indice(linhas: list[list[str]], codigo: str, ordem: int) -> int:
    """Index of the ``ordem``-th row of carrier ``codigo``."""
    return [n for n, linha in enumerate(linhas) if "".join(linha[4].upper().split()) == codigo][ordem]


def _sujar(rnd: random.Random, linhas: list[list[str]]) -> None:
    """The dirty cases seen in real files."""
    oi = [n for n in range(len(linhas)) if "".join(linhas[n][4].upper().split()) == "OI"]
    # Two OI accounts of one company differing only by FILTRO.
    gemea = list(linhas[oi[1]])
    gemea[0], gemea[5], gemea[12] = f"{rnd.getrandbits(64):016x}", f"{rnd.randrange(10**9, 10**10)}-9999", \
        "Senha#Canario299"
    linhas[oi[2]] = gemea
    # A soft hyphen instead of '-' in a CNPJ, and a CNPJ typed without punctuation.
    linhas[oi[5]][3] = linhas[oi[5]][3].replace("-", "\u00ad")
    linhas[oi[6]][3] = "".join(c for c in linhas[oi[6]][3] if c.isdigit())
    # Free text in CPF.
    for n, texto in zip((oi[8], _indice(linhas, "VIVO", 5), _indice(linhas, "AZUTON", 20)), CPF_TEXTO_LIVRE,
                        strict=True):
        linhas[n][13] = texto
    # Trailing spaces in cells.
    linhas[oi[9]][1] += "  "
    linhas[_indice(linhas, "VIVO", 7)][8] += " "
    # An OBS with a comma and a line break (quoted by the spreadsheet).
    linhas[_indice(linhas, "EMBRATEL", 2)][14] = "Contrato renovado em 2025,\nfalar com Dona Célia"
    # The same row twice (same HASH and data): the next row of the carrier is a copy.
    for codigo, ordem in REPETIDAS:
        n = _indice(linhas, codigo, ordem)
        linhas[n + 1] = list(linhas[n])
    # Two CNPJs in one cell: the only row the importer must reject (physical line LINHA_DOIS_CNPJS).
    outro = stdnum_cnpj.format(_cnpj(rnd))
    alvo = LINHA_DOIS_CNPJS - 2
    linhas[alvo][3] = f"{linhas[alvo][3]} / {outro}"


def gerar() -> bytes:
    """The export's bytes: Windows-1252, CRLF, header as exported."""
    saida = io.StringIO()
    escritor = csv.writer(saida, lineterminator="\r\n")
    escritor.writerow(CABECALHO)
    escritor.writerows(_linhas())
    return saida.getvalue().encode("cp1252")


if __name__ == "__main__":
    ARQUIVO.write_bytes(gerar())
    print(f"{ARQUIVO} escrito")

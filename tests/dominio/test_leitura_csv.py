"""The client CSV parser (beg_pipeline.importacao.leitura_csv)."""

import csv
import io
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.br import cnpj as stdnum_cnpj

from beg_pipeline.importacao.leitura_csv import (
    ArquivoInvalido,
    ErroLinha,
    LinhaCliente,
    ler_csv_clientes,
)

FIXTURES = Path(__file__).parents[1] / "fixtures" / "clientes"
CABECALHO = (
    "HASH,RAZÃO SOCIAL,NOME SAT,CNPJ,OPERADORA,FILTRO,SERVIÇO,DADOS SAT,UNIDADE / FILTRO SAT,"
    "CATEGORIAS / FILTRO SAT,SITE PARA EMISSÃO ,LOGIN ,SENHA,CPF,OBS,STATUS,PATCHDOWNLOAD,ATUALIZA/CRIA"
)
CANARIO = re.compile(r"Senha#Canario\d+")


def ler(nome: str):
    return ler_csv_clientes((FIXTURES / nome).read_bytes())


def por_linha(resultado) -> dict[int, LinhaCliente]:
    return {linha.linha: linha for linha in resultado.linhas}


def erros_por_linha(resultado) -> dict[int, str]:
    return {e.linha: e.motivo for e in resultado.erros}


def com_dv(base: str) -> str:
    return base + stdnum_cnpj.calc_check_digits(base)


def test_complete_file_reads_every_field():
    r = ler("ok.csv")
    assert (r.separador, r.codificacao, r.erros, r.duplicadas) == (",", "utf-8", [], [])
    linhas = por_linha(r)
    assert sorted(linhas) == [2, 3, 4, 5, 6]
    primeira = linhas[2]
    assert primeira.hash_unico == "a1b2c3d4e5f60718"
    assert primeira.razao_social == "BEG TELECOMUNICAÇÕES LTDA"
    assert primeira.cnpj == "84718741000100"
    assert primeira.operadora == "OI"
    assert primeira.url_portal == "https://portal.oi.com.br"
    assert primeira.login_portal == "beg.oi"
    assert primeira.senha_portal == "Senha#Canario01"
    assert primeira.cpf == "12345678909"
    assert primeira.chave_natural() == ("84718741000100", "OI", "3001234567", "MATRIZ", "TELEFONIA FIXA")
    assert linhas[3].hash_unico == "0f1e2d3c4b5a6978"
    assert linhas[3].dados_sat is None and linhas[3].cpf is None
    assert linhas[4].status_ativo is False and linhas[4].hash_unico is None
    assert linhas[5].cnpj == "12ABC345000188" and linhas[5].operadora == "CLARO"
    assert linhas[6].status_ativo is True and linhas[6].senha_portal is None
    assert linhas[6].chave_natural() == ("33000417000103", "TIM", "TIM-1020", "", "")


# 1. separador
def test_semicolon_separator():
    r = ler("separador_ponto_virgula.csv")
    assert r.separador == ";" and r.erros == []
    linhas = por_linha(r)
    assert linhas[2].razao_social == "ACME, COMÉRCIO E SERVIÇOS LTDA"
    assert linhas[3].observacoes == "Pagamento, via boleto"


# 2. codificações
@pytest.mark.parametrize(
    ("nome", "codificacao", "razao", "obs"),
    [
        ("ok.csv", "utf-8", "BEG TELECOMUNICAÇÕES LTDA", "Cliente desde 2019"),
        ("utf8_bom.csv", "utf-8-sig", "CONSTRUÇÕES ÍRIS LTDA", "Atenção: fatura única"),
        ("cp1252.csv", "cp1252", "CONSTRUÇÕES ÁGUA BRANCA LTDA", "Contrato – renovação anual"),
    ],
)
def test_encodings(nome, codificacao, razao, obs):
    r = ler(nome)
    assert r.codificacao == codificacao and r.erros == []
    assert r.linhas[0].razao_social == razao
    assert r.linhas[0].observacoes == obs


def test_cp1252_with_undefined_bytes_does_not_break():
    conteudo = (CABECALHO + "\r\n,EMPRESA\x81 AÇO,,84.718.741/0001-00,OI,1,,,,,,,,,,,,\r\n").encode("latin-1")
    r = ler_csv_clientes(conteudo)
    assert r.codificacao == "cp1252"
    assert r.linhas[0].razao_social == "EMPRESA\x81 AÇO"


# 3. cabeçalho com variações
def test_header_variants():
    r = ler("cabecalho_variado.csv")
    assert r.erros == []
    linha = r.linhas[0]
    assert linha.razao_social == "BEG TELECOMUNICAÇÕES LTDA"
    assert linha.nome_sat == "BEG"
    assert linha.servico == "FIXA"
    assert linha.unidade == "MATRIZ"
    assert linha.categoria == "TELECOM"
    assert linha.url_portal == "https://portal.oi.com.br"
    assert linha.login_portal == "beg.oi"
    assert linha.senha_portal == "Senha#Canario05"


def test_header_without_required_columns():
    conteudo = b"HASH,RAZAO SOCIAL,OPERADORA,SENHA\r\n,X,OI,\r\n"
    with pytest.raises(ArquivoInvalido) as exc:
        ler_csv_clientes(conteudo)
    mensagem = str(exc.value)
    assert "CNPJ" in mensagem and "FILTRO" in mensagem
    assert "RAZÃO SOCIAL,NOME SAT,CNPJ" in mensagem


@pytest.mark.parametrize("conteudo", [b"", b"\r\n\r\n   \r\n", b",,,\r\n", "texto qualquer\nsem cabeçalho".encode()])
def test_unusable_file(conteudo):
    with pytest.raises(ArquivoInvalido):
        ler_csv_clientes(conteudo)


# 4. aspas com separador e quebras de linha
def test_quoted_cells_with_separators_and_line_breaks():
    r = ler("celulas_com_aspas.csv")
    linhas = por_linha(r)
    assert sorted(linhas) == [2, 5, 8]
    assert linhas[2].observacoes == (
        'Primeira linha da observação\nsegunda linha, com vírgula\nterceira "citada"'
    )
    assert linhas[5].razao_social == "BETA, GAMA & CIA LTDA"
    assert list(erros_por_linha(r)) == [6]


# 5. mojibake
def test_double_encoded_text_is_repaired():
    r = ler("mojibake.csv")
    assert r.erros == []
    linha = r.linhas[0]
    assert linha.razao_social == "EMPRESA SOLUÇÕES EM TELECOMUNICAÇÕES LTDA"
    assert linha.nome_sat == "CONSTRUÇÃO"
    assert linha.servico == "TELEFONIA FÍSICA"  # 'Í' passa pelo byte 0x8D, indefinido no cp1252
    assert linha.unidade == "SÃO PAULO"  # texto correto com 'Ã' não é alterado
    assert linha.observacoes == "Filial PÃO DE AÇÚCAR"


# 6. formatos de CNPJ
def test_cnpj_formats():
    r = ler("cnpj_formatos.csv")
    assert {n: linha.cnpj for n, linha in por_linha(r).items()} == {
        2: "84718741000100",
        3: "11222333000181",
        4: "60701190000104",
        5: "33000417000103",
        6: "12ABC345000188",
    }
    erros = erros_por_linha(r)
    assert sorted(erros) == [7, 8, 9]
    assert "dois CNPJs" in erros[7] and "uma linha por CNPJ" in erros[7]
    assert "84718741000100" in erros[7] and "11222333000181" in erros[7]
    assert "zeros à esquerda" in erros[8]
    assert "todos os caracteres iguais" in erros[9]


# 7. operadoras
def test_carrier_codes_are_normalised():
    r = ler("operadoras.csv")
    assert [linha.operadora for linha in r.linhas] == ["OI", "OI", "OI", "EMBRATEL", "DIGITALNET", "DIGITALNET"]


# 8. linhas vazias
def test_empty_lines_are_skipped():
    r = ler("linhas_vazias.csv")
    assert r.erros == [] and r.duplicadas == []
    assert [linha.linha for linha in r.linhas] == [2, 5, 7]


def test_empty_lines_before_the_header():
    conteudo = ("\r\n\r\n" + CABECALHO + "\r\n,X LTDA,,84.718.741/0001-00,OI,1,,,,,,,,,,,,\r\n").encode()
    assert [linha.linha for linha in ler_csv_clientes(conteudo).linhas] == [4]


# 9. duplicadas
def test_duplicate_rows_and_repeated_key():
    r = ler("duplicadas.csv")
    assert [linha.linha for linha in r.linhas] == [2, 3]
    assert r.duplicadas == [4, 6]  # a linha 6 difere só na formatação do CNPJ e da operadora
    erros = erros_por_linha(r)
    assert list(erros) == [5]
    assert "linha 5 repete a chave de cliente da linha 2 com dados diferentes" in erros[5]
    assert "OBS" in erros[5]


# 10. CPF
def test_cpf_free_text_and_invalid():
    r = ler("cpf_texto_livre.csv")
    linhas = por_linha(r)
    assert linhas[2].cpf is None
    assert linhas[2].observacoes == "Cliente antigo; CPF: VER COM FULANO"
    assert linhas[3].observacoes == "CPF: VER COM FULANO"
    assert linhas[5].cpf == "52998224725"
    erros = erros_por_linha(r)
    assert sorted(erros) == [4, 6]
    assert all("coluna CPF" in m for m in erros.values())


# 11. linhas inválidas
def test_invalid_rows():
    r = ler("linhas_invalidas.csv")
    assert [linha.linha for linha in r.linhas] == [2, 5, 9]
    assert por_linha(r)[5].filtro is None and por_linha(r)[5].chave_natural()[2] == ""  # FILTRO is optional
    erros = erros_por_linha(r)
    assert sorted(erros) == [3, 4, 6, 7, 8, 10, 11, 12, 13]
    assert "coluna CNPJ" in erros[3] and "dígitos verificadores" in erros[3]
    assert "coluna OPERADORA está vazia" in erros[4]
    assert "coluna RAZÃO SOCIAL está vazia" in erros[6]
    assert "coluna HASH" in erros[7] and "16 caracteres hexadecimais" in erros[7]
    assert "coluna STATUS" in erros[8]
    assert "coluna CNPJ" in erros[10] and "coluna OPERADORA" in erros[10]
    assert "linha 2" in erros[12] and "HASH" in erros[12]
    assert "separador sem aspas" in erros[13]


def test_rows_without_filtro_and_rows_differing_only_by_filtro_are_distinct_accounts():
    linhas = [",A LTDA,,84.718.741/0001-00,Vivo,,Móvel,,Belém-PA,,,,,,,,,",
              ",A LTDA,,84.718.741/0001-00,Oi,111,Fixo,,Belém-PA,,,,,,,,,",
              ",A LTDA,,84.718.741/0001-00,Oi,222,Fixo,,Belém-PA,,,,,,,,,",
              ",A LTDA,,84.718.741/0001-00,Oi,,Fixo,,Belém-PA,,,,,,,,,",
              ",A LTDA,,84.718.741/0001-00,OI,,Fixo,,Belém-PA,,,,,,outra obs,,,"]
    r = ler_csv_clientes("\r\n".join([CABECALHO, *linhas]).encode())
    assert [linha.linha for linha in r.linhas] == [2, 3, 4, 5]
    assert [linha.chave_natural()[2] for linha in r.linhas] == ["", "111", "222", ""]
    [erro] = r.erros  # the same account (no FILTRO) twice with different data
    assert erro.linha == 6 and "repete a chave de cliente da linha 5" in erro.motivo
    assert "FILTRO (quando houver)" in erro.motivo


@pytest.mark.parametrize("celula", ["../../etc", "OI/VIVO", "OI\\VIVO", "VIVO?x=1", "O.I"])
def test_carrier_codes_that_are_not_plain_codes_are_rejected(celula):
    conteudo = (CABECALHO + f'\r\n,X LTDA,,84.718.741/0001-00,"{celula}",1,,,,,,,,,,,,'
                f'\r\n,Y LTDA,,84.718.741/0001-00,Oi,2,,,,,,,,,,,,\r\n').encode()
    r = ler_csv_clientes(conteudo)
    assert [linha.linha for linha in r.linhas] == [3]
    [erro] = r.erros
    assert erro.linha == 2 and erro.operadora == "" and erro.motivo.startswith("coluna OPERADORA: ")
    assert "só letras e números" in erro.motivo


def test_rejected_rows_name_their_carrier_for_the_report():
    erros = {e.linha: e.operadora for e in ler("linhas_invalidas.csv").erros}
    assert erros[3] == "OI" and erros[4] == "" and erros[12] == "TIM"


def test_password_never_appears_in_repr_or_errors():
    for arquivo in sorted(FIXTURES.glob("*.csv")):
        conteudo = arquivo.read_bytes()
        canarios = set(CANARIO.findall(conteudo.decode("utf-8", errors="replace")))
        r = ler_csv_clientes(conteudo)
        textos = [repr(linha) for linha in r.linhas] + [e.motivo for e in r.erros] + [repr(e) for e in r.erros]
        for canario in canarios:
            assert not any(canario in t for t in textos), (arquivo.name, canario)
    assert any(linha.senha_portal for linha in ler("ok.csv").linhas)
    assert "Senha#Canario19" not in erros_por_linha(ler("linhas_invalidas.csv"))[11]


# propriedades
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_raise_arquivo_invalido(conteudo):
    try:
        r = ler_csv_clientes(conteudo)
    except ArquivoInvalido:
        return
    assert all(stdnum_cnpj.is_valid(linha.cnpj) and len(linha.cnpj) == 14 for linha in r.linhas)


_CNPJS = [com_dv(b) for b in ("847187410001", "112223330001", "607011900001", "12ABC3450001")]
_texto = st.text(max_size=30)
_celula = st.one_of(
    _texto,
    st.sampled_from(_CNPJS + [stdnum_cnpj.format(c) for c in _CNPJS]),
    st.sampled_from(["Oi", " OI ", "ATIVO", "não", "VER COM FULANO", "123.456.789-09", "SOLUÃ‡Ã•ES", ""]),
)
_quase_valida = st.tuples(
    st.one_of(st.just(""), st.sampled_from(["a1b2c3d4e5f60718", "0F1E2D3C4B5A6978"]), _texto),
    st.one_of(st.sampled_from(["BEG TELECOMUNICAÇÕES LTDA", "SOLUÃ‡Ã•ES LTDA"]), _texto),
    _texto,
    st.one_of(st.sampled_from(_CNPJS + [stdnum_cnpj.format(c) for c in _CNPJS]), _texto),
    st.one_of(st.sampled_from(["Oi", " OI ", "Embratel", "Digital Net"]), _texto),
    st.one_of(st.sampled_from(["3001", "EMB-1"]), _texto),
    *[st.one_of(st.just(""), _texto)] * 7,
    st.one_of(st.sampled_from(["", "VER COM FULANO", "123.456.789-09", "123.456.789-00"]), _texto),
    _texto,
    st.one_of(st.sampled_from(["", "ATIVO", "não", "TALVEZ"]), _texto),
).map(list)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(_quase_valida, st.lists(_celula, max_size=20)), max_size=15),
    st.sampled_from([",", ";"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_rows_of_arbitrary_text(linhas, separador, codificacao):
    saida = io.StringIO()
    escritor = csv.writer(saida, delimiter=separador, lineterminator="\r\n")
    escritor.writerow(CABECALHO.split(","))
    escritor.writerows(linhas)
    conteudo = saida.getvalue().encode(codificacao, errors="replace")
    try:
        r = ler_csv_clientes(conteudo)
    except ArquivoInvalido:
        return
    for linha in r.linhas:
        assert stdnum_cnpj.is_valid(linha.cnpj) and len(set(linha.cnpj)) > 1
        assert re.fullmatch(r"[A-Z0-9][A-Z0-9_-]*", linha.operadora) and linha.razao_social
    assert all(isinstance(e, ErroLinha) and e.motivo for e in r.erros)
    vistos = [linha.linha for linha in r.linhas] + [e.linha for e in r.erros] + r.duplicadas
    assert len(vistos) == len(set(vistos))


def test_size_limits_match_the_database_columns():
    from beg_pipeline.db.models import Cliente, Operadora
    from beg_pipeline.importacao.leitura_csv import TAMANHO_MAXIMO

    colunas = {**{c.name: c for c in Cliente.__table__.columns}, "url_portal": Cliente.__table__.c.site_emissao,
               "operadora": Operadora.__table__.c.codigo}
    assert {campo: colunas[campo].type.length for campo in TAMANHO_MAXIMO} == TAMANHO_MAXIMO

"""The client import service on every backend: each fixture variant, re-import, bad rows, dry run."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from beg_pipeline.db.models import Cliente, Operadora
from beg_pipeline.importacao.leitura_csv import ler_csv_clientes
from beg_pipeline.services.cadastros import garantir_operadora
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.services.importacao_clientes import importar_clientes
from tests.builders import ADMIN

FIXTURES = Path(__file__).parents[1] / "fixtures" / "clientes"
ARQUIVOS = sorted(FIXTURES.glob("*.csv"))


def _clientes(ctx) -> list[Cliente]:
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Cliente)))


@pytest.mark.parametrize("arquivo", ARQUIVOS, ids=lambda p: p.stem)
def test_each_variant_imports_then_reimports_unchanged(ctx, arquivo):
    conteudo = arquivo.read_bytes()
    esperado = ler_csv_clientes(conteudo)
    primeiro = importar_clientes(ctx, ADMIN, conteudo)
    assert (primeiro.criados, primeiro.atualizados, primeiro.inalterados) == (len(esperado.linhas), 0, 0)
    assert [e.linha for e in primeiro.rejeitados] == [e.linha for e in esperado.erros]
    resumo = f"{primeiro.criados} criados, 0 atualizados, 0 inalterados, {len(esperado.erros)} rejeitados"
    assert resumo in primeiro.resumo()
    assert len(_clientes(ctx)) == len(esperado.linhas)
    segundo = importar_clientes(ctx, ADMIN, conteudo)
    assert (segundo.criados, segundo.atualizados, segundo.inalterados) == (0, 0, len(esperado.linhas))


def test_bad_rows_are_listed_with_their_line_and_good_rows_kept(ctx):
    relatorio = importar_clientes(ctx, ADMIN, (FIXTURES / "linhas_invalidas.csv").read_bytes())
    resumo = relatorio.resumo()
    assert relatorio.criados == 3 and len(relatorio.rejeitados) == 9  # the row without FILTRO is imported
    for erro in relatorio.rejeitados:
        assert f"Linha {erro.linha}: " in resumo
    assert "Linha 4: coluna OPERADORA está vazia" in resumo


def test_dry_run_writes_nothing_but_reports_the_same(ctx):
    conteudo = (FIXTURES / "operadoras.csv").read_bytes()
    simulado = importar_clientes(ctx, ADMIN, conteudo, dry_run=True)
    assert simulado.criados == 6 and simulado.resumo().startswith("Simulação (nada foi gravado)")
    assert _clientes(ctx) == []
    with ctx.db.leitura() as s:
        assert s.scalar(select(func.count()).select_from(Operadora)) == 0
    assert importar_clientes(ctx, ADMIN, conteudo).criados == 6


def _robos(ctx) -> dict[str, bool]:
    with ctx.db.leitura() as s:
        return {o.codigo: o.possui_rpa for o in s.scalars(select(Operadora))}


def test_new_carriers_get_a_robot_when_the_robot_api_serves_them_and_codes_fold_case(ctx):
    relatorio = importar_clientes(ctx, ADMIN, (FIXTURES / "operadoras.csv").read_bytes())
    operadoras = _robos(ctx)
    assert sorted(operadoras) == ["DIGITALNET", "EMBRATEL", "OI"] == sorted(relatorio.operadoras_criadas)
    assert operadoras == {codigo: codigo in ctx.settings.rpa_operadoras for codigo in operadoras}
    assert all(operadoras.values())  # the default BEG_RPA_OPERADORAS serves all three
    assert "Operadoras novas: DIGITALNET (com robô), EMBRATEL (com robô), OI (com robô)" in relatorio.resumo()


def test_carriers_outside_beg_rpa_operadoras_are_created_without_robot_and_existing_ones_kept(ctx, settings):
    garantir_operadora(ctx, ADMIN, "EMBRATEL", possui_rpa=False)  # an admin's choice the import leaves alone
    so_oi = Contexto(settings.model_copy(update={"rpa_operadoras": frozenset({"OI"})}), db=ctx.db)
    relatorio = importar_clientes(so_oi, ADMIN, (FIXTURES / "operadoras.csv").read_bytes())
    assert _robos(ctx) == {"OI": True, "EMBRATEL": False, "DIGITALNET": False}
    assert relatorio.operadoras_criadas == ["DIGITALNET", "OI"]
    assert "DIGITALNET (sem robô): 2 / 0 / 0 / 0 / 0" in relatorio.resumo()


@pytest.mark.parametrize("codigo", ["../../etc", "OI/VIVO", "..", "OI\\VIVO", "VIVO?x=1", "OI%2FVIVO", "A" * 31])
def test_carrier_codes_that_are_not_plain_codes_are_rejected_with_their_line(ctx, codigo):
    cabecalho = (FIXTURES / "operadoras.csv").read_text(encoding="utf-8").splitlines()[0]
    conteudo = (f'{cabecalho}\r\n,BOA LTDA,,84.718.741/0001-00,Oi,1,,,,,,,,,,,,\r\n'
                f',RUIM LTDA,,84.718.741/0001-00,"{codigo}",2,,,,,,,,,,,,\r\n').encode()
    relatorio = importar_clientes(ctx, ADMIN, conteudo)
    [erro] = relatorio.rejeitados
    assert erro.linha == 3 and "coluna OPERADORA" in erro.motivo and "só letras e números" in erro.motivo
    assert relatorio.criados == 1 and _robos(ctx) == {"OI": True}


def test_accounts_without_filtro_are_keyed_by_the_other_columns_and_filtro_tells_two_accounts_apart(ctx):
    cabecalho = (FIXTURES / "operadoras.csv").read_text(encoding="utf-8").splitlines()[0]
    linhas = [",EMPRESA LTDA,,84.718.741/0001-00,Vivo,,Móvel,,Belém-PA,,,,,,,,,",  # no FILTRO
              ",EMPRESA LTDA,,84.718.741/0001-00,Vivo,,Fixo,,Belém-PA,,,,,,,,,",  # another service
              ",EMPRESA LTDA,,84.718.741/0001-00,Oi,111,Fixo,,Belém-PA,,,login,Senha#Canario90,,,,,",
              ",EMPRESA LTDA,,84.718.741/0001-00,Oi,222,Fixo,,Belém-PA,,,login,Senha#Canario91,,,,,"]  # FILTRO only
    texto = "\r\n".join([cabecalho, *linhas])
    conteudo = texto.encode()
    assert importar_clientes(ctx, ADMIN, conteudo).criados == 4
    assert sorted((c.operadora.codigo, c.filtro, c.servico) for c in _clientes(ctx)) == [
        ("OI", "111", "Fixo"), ("OI", "222", "Fixo"), ("VIVO", "", "Fixo"), ("VIVO", "", "Móvel")]
    alterado = texto.replace("Belém-PA,,,,,,,,,", "Belém-PA,,,,,,obs nova,,,").encode()
    again = importar_clientes(ctx, ADMIN, alterado)
    assert (again.criados, again.atualizados, again.inalterados) == (0, 2, 2)
    assert len(_clientes(ctx)) == 4


def test_changed_rows_update_and_passwords_are_encrypted(ctx):
    conteudo = (FIXTURES / "ok.csv").read_bytes()
    importar_clientes(ctx, ADMIN, conteudo)
    alterado = conteudo.replace(b"Senha#Canario01", b"Senha#Nova0001").replace(b"Cliente desde 2019", b"Cliente VIP")
    relatorio = importar_clientes(ctx, ADMIN, alterado)
    assert (relatorio.criados, relatorio.atualizados, relatorio.inalterados) == (0, 1, 4)
    clientes = _clientes(ctx)
    assert all(c.senha_portal is None or c.senha_portal.startswith("gAAAA") for c in clientes)
    [mudado] = [c for c in clientes if c.observacoes == "Cliente VIP"]
    assert ctx.cofre.decifrar(mudado.senha_portal) == "Senha#Nova0001"


def test_repaired_text_and_compact_cnpj_are_stored(ctx):
    importar_clientes(ctx, ADMIN, (FIXTURES / "mojibake.csv").read_bytes())
    [cliente] = _clientes(ctx)
    assert "Ã" not in cliente.razao_social and "Ç" in cliente.razao_social
    assert len(cliente.cnpj) == 14 and cliente.cnpj.isalnum()


def test_a_row_like_an_existing_account_but_without_unidade_and_servico_is_reported_not_created(ctx):
    """Issue 17.3: the same CNPJ, carrier and FILTRO as a stored account, with UNIDADE and SERVIÇO empty, used to
    create a second client (doubling next month's processes)."""
    cabecalho = (FIXTURES / "operadoras.csv").read_text(encoding="utf-8").splitlines()[0]
    conta = ",EMPRESA LTDA,,84.718.741/0001-00,Oi,111,Fixo,,Belém-PA,,,login,Senha#Canario90,,,,,"
    importar_clientes(ctx, ADMIN, "\r\n".join([cabecalho, conta]).encode())
    de_novo = [",EMPRESA LTDA,,84.718.741/0001-00,Oi,111,,,,,,login,Senha#Canario90,,,,,",  # same account, bare
               ",EMPRESA LTDA,,84.718.741/0001-00,Oi,222,,,,,,login,Senha#Canario91,,,,,",  # another FILTRO
               ",OUTRA LTDA,,11.222.333/0001-81,Vivo,9,Móvel,,,,,,,,,,,",
               ",OUTRA LTDA,,11.222.333/0001-81,Vivo,9,,,,,,,,,,,,"]  # the row above, bare, in the same file
    conteudo = "\r\n".join([cabecalho, *de_novo]).encode()
    simulado = importar_clientes(ctx, ADMIN, conteudo, dry_run=True)
    relatorio = importar_clientes(ctx, ADMIN, conteudo)
    for r in (simulado, relatorio):
        assert [(d.linha, d.operadora) for d in r.provaveis_duplicados] == [(2, "OI"), (5, "VIVO")]
        assert r.criados == 2 and not r.rejeitados
    primeiro, segundo = relatorio.provaveis_duplicados
    assert "EMPRESA LTDA (já cadastrado)" in primeiro.motivo and "Fixo" in primeiro.motivo
    assert "linha 4 deste arquivo" in segundo.motivo
    assert "2 prováveis duplicados" in relatorio.resumo() and "Linha 2: provável duplicata" in relatorio.resumo()
    assert sorted((c.operadora.codigo, c.filtro, c.servico) for c in _clientes(ctx)) == [
        ("OI", "111", "Fixo"), ("OI", "222", ""), ("VIVO", "9", "Móvel")]
    assert {linha["Operadora"]: linha["Prováveis duplicados"] for linha in relatorio.tabela_operadoras()} == {
        "OI": 1, "VIVO": 1}

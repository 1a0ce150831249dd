"""The client import service on every backend: each fixture variant, re-import, bad rows, dry run."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from beg_pipeline.db.models import Cliente, Operadora
from beg_pipeline.importacao.leitura_csv import ler_csv_clientes
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
    assert f"{primeiro.criados} criados, 0 atualizados, 0 inalterados, {len(esperado.erros)} rejeitados" in primeiro.resumo()
    assert len(_clientes(ctx)) == len(esperado.linhas)
    segundo = importar_clientes(ctx, ADMIN, conteudo)
    assert (segundo.criados, segundo.atualizados, segundo.inalterados) == (0, 0, len(esperado.linhas))


def test_bad_rows_are_listed_with_their_line_and_good_rows_kept(ctx):
    relatorio = importar_clientes(ctx, ADMIN, (FIXTURES / "linhas_invalidas.csv").read_bytes())
    resumo = relatorio.resumo()
    assert relatorio.criados == 2 and len(relatorio.rejeitados) == 10
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


def test_unknown_carriers_are_created_without_robot_and_codes_fold_case(ctx):
    relatorio = importar_clientes(ctx, ADMIN, (FIXTURES / "operadoras.csv").read_bytes())
    with ctx.db.leitura() as s:
        operadoras = {o.codigo: o.possui_rpa for o in s.scalars(select(Operadora))}
    assert operadoras and not any(operadoras.values())
    assert sorted(relatorio.operadoras_criadas) == sorted(operadoras)
    assert all(c == c.upper() for c in operadoras)


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

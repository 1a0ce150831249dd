"""Brazilian display formats and labels (beg_pipeline.domain.formatos)."""

import datetime as dt
import importlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from beg_pipeline.domain import formatos, prazos
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.prazos import DIAS_UTEIS_DE_ALERTA, SituacaoVencimento
from beg_pipeline.domain.processo import StatusProcesso


@pytest.mark.parametrize(("valor", "esperado"), [
    (Decimal("1234567.5"), "R$ 1.234.567,50"), (Decimal("0.5"), "R$ 0,50"), (98765.43, "R$ 98.765,43"),
    (0, "R$ 0,00"), (Decimal("-12.3"), "R$ -12,30"),
])
def test_money_uses_brazilian_separators(valor, esperado):
    assert formatos.moeda(valor) == esperado


def test_money_without_a_value_is_a_dash():
    assert formatos.moeda(None) == "—"
    assert formatos.moeda(float("nan")) == "—"  # pandas' missing value
    assert formatos.numero(Decimal("98765.43")) == "98.765,43"  # the bare number, for PDF cells


def test_cnpj_display_accepts_numeric_alphanumeric_and_punctuated():
    assert formatos.cnpj("84718741000100") == "84.718.741/0001-00"
    assert formatos.cnpj("12abc34501de35") == "12.ABC.345/01DE-35"
    assert formatos.cnpj("84.718.741/0001-00") == "84.718.741/0001-00"
    assert formatos.cnpj("123") == "123"
    assert formatos.cnpj("") == formatos.cnpj(None) == "—"


def test_cpf_display():
    assert formatos.cpf("52998224725") == "529.982.247-25"
    assert formatos.cpf("529.982.247-25") == "529.982.247-25"
    assert formatos.cpf("5299822472A") == "5299822472A"
    assert formatos.cpf(None) == "—"


def test_dates_and_instants_in_sao_paulo_time():
    assert formatos.data(dt.date(2026, 12, 3)) == "03/12/2026"
    assert formatos.data(None) == formatos.data_hora(None) == "—"
    utc = dt.datetime(2026, 1, 1, 2, 30, tzinfo=dt.UTC)
    assert formatos.data_hora(utc) == "31/12/2025 23:30"  # UTC-3: still the previous day locally
    assert formatos.data_hora(utc.replace(tzinfo=None)) == "31/12/2025 23:30"  # stored naive means UTC
    assert formatos.data_hora(utc, ZoneInfo("Europe/Lisbon")) == "01/01/2026 02:30"


def test_without_accents_keeps_everything_else():
    assert formatos.sem_acentos("Razão Social — AÇÃO Ü") == "Razao Social — ACAO U"


def test_alert_text_follows_the_business_day_constant(monkeypatch):
    assert f"em até {DIAS_UTEIS_DE_ALERTA} dias úteis" == formatos.PRAZO_DE_ALERTA
    monkeypatch.setattr(prazos, "DIAS_UTEIS_DE_ALERTA", 5)
    try:
        assert importlib.reload(formatos).PRAZO_DE_ALERTA == "em até 5 dias úteis"
    finally:
        monkeypatch.undo()
        importlib.reload(formatos)


@pytest.mark.parametrize(("enum", "rotulos"), [
    (StatusProcesso, formatos.STATUS_PROCESSO), (StatusExecucao, formatos.STATUS_EXECUCAO),
    (TipoExecucao, formatos.TIPO_EXECUCAO), (SituacaoVencimento, formatos.SITUACAO_VENCIMENTO),
])
def test_every_member_has_its_own_label(enum, rotulos):
    assert set(rotulos) == set(enum)
    assert len(set(rotulos.values())) == len(rotulos)


def test_labels_accept_members_and_stored_values():
    assert formatos.status_processo(StatusProcesso.AGUARDANDO_APROVACAO) == "Aguardando aprovação"
    assert formatos.status_processo("UPLOAD_REALIZADO") == "Enviado ao SAT"
    assert formatos.rotulo("TIMEOUT", formatos.STATUS_EXECUCAO) == "Tempo esgotado"
    assert formatos.status_processo("Total") == "Total"  # not a status: shown as given
    assert formatos.status_processo(None) == "—"


def test_audit_details_read_as_a_line_with_the_sat_protocol_named():
    linha = formatos.detalhes({"resultado": {"protocolo": "SAT-1A2B", "job_id": "j-9"},
                               "campos": ["cpf", "login_portal"], "linha": 7, "vazio": None})
    assert linha == "Protocolo SAT: SAT-1A2B · Job do robô: j-9 · Campos: cpf, login_portal · Linha: 7"
    assert formatos.detalhes(None) == formatos.VAZIO and formatos.detalhes({}) == ""


def test_robot_log_instants_are_shown_in_local_time():
    texto = "2026-12-02T13:00:05.123456+00:00 INFO login ok\n2026-12-02T13:01:00Z ERROR falhou\nsem instante"
    assert formatos.log_em_hora_local(texto).splitlines() == [
        "02/12/2026 10:00:05 INFO login ok", "02/12/2026 10:01:00 ERROR falhou", "sem instante"]
    assert formatos.log_em_hora_local(None) == ""


def test_a_missing_due_date_is_a_dash_never_none_or_nat():
    assert formatos.data(None) == formatos.data(pd.NaT) == formatos.VAZIO

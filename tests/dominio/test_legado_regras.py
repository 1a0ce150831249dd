"""Pure legacy conversion rules: statuses, due dates, PDF references, stale attempts, legacy password hashes."""

from __future__ import annotations

import datetime as dt

import pytest
from werkzeug.security import generate_password_hash

from beg_pipeline.domain.execucao import StatusExecucao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.legado import regras, senhas
from tests.legado_fixture import CANONICO, STATUS, hash_pbkdf2


@pytest.mark.parametrize("bruto", [s for s in STATUS if s != "CANCELADO"])
def test_every_documented_status_maps_as_schema_md_says(bruto):
    assert regras.status_canonico(bruto, tem_aprovador=False).value == CANONICO[bruto]


def test_cancelled_depends_on_the_approver_and_unknown_is_refused():
    assert regras.status_canonico("CANCELADO", True) is StatusProcesso.AGUARDANDO_ENVIO_SAT
    assert regras.status_canonico("CANCELADO", False) is StatusProcesso.AGUARDANDO_DOWNLOAD
    with pytest.raises(regras.StatusDesconhecido, match="XPTO"):
        regras.status_canonico("XPTO", False)


@pytest.mark.parametrize(("guardada", "mes_ano", "esperada", "avisa"), [
    (dt.date(2026, 3, 15), "03/2026", dt.date(2026, 3, 15), False),
    (dt.date(2026, 4, 20), "03/2026", dt.date(2026, 4, 20), False),  # due next month: normal
    (dt.date(2026, 10, 2), "02/2026", dt.date(2026, 2, 10), True),  # 10/02 read as MM/DD
    (dt.date(2026, 10, 12), "12/2026", dt.date(2026, 12, 10), True),
    (dt.date(2026, 7, 25), "01/2026", dt.date(2026, 7, 25), True),  # far, and day > 12: kept but reported
])
def test_due_date_swaps_are_detected(guardada, mes_ano, esperada, avisa):
    resultado = regras.corrigir_vencimento(guardada, mes_ano)
    assert resultado.data == esperada
    assert (resultado.problema is not None) is avisa


@pytest.mark.parametrize(("chave", "caminho", "url", "esperada"), [
    ("pdfs/OI/ACME_S/A_2026_01_x.pdf", None, "https://minio/beg/outra", "pdfs/OI/ACME_S/A_2026_01_x.pdf"),
    (None, "s3://beg/OI/2026-01/0001.pdf", None, "OI/2026-01/0001.pdf"),
    (None, "OI/2026-01/0002.pdf", None, "OI/2026-01/0002.pdf"),
    (None, None, "http://10.0.0.5:9000/beg/OI/2026-01/0003.pdf", "OI/2026-01/0003.pdf"),
    (None, "s3://brm-bucket/x.pdf", None, None),
    (None, None, "https://portal.operadora.com.br/segunda-via", None),
    (None, None, None, None),
])
def test_pdf_reference_resolution_order_and_forms(chave, caminho, url, esperada):
    ref = regras.referencia_pdf(chave, caminho, url)
    assert ref.chave == esperada
    assert (ref.problema is not None) is (esperada is None and bool(chave or caminho or url))


def test_only_the_newest_attempt_with_a_job_stays_running():
    t0 = dt.datetime(2026, 11, 2, 8, tzinfo=dt.UTC)
    tentativas = [regras.Tentativa("a", "p1", "DOWNLOAD_FATURA", "EXECUTANDO", None, t0),
                  regras.Tentativa("b", "p1", "DOWNLOAD_FATURA", "EXECUTANDO", "job-1", t0 + dt.timedelta(hours=1)),
                  regras.Tentativa("c", "p2", "DOWNLOAD_FATURA", "EXECUTANDO", "job-2", t0),
                  regras.Tentativa("d", "p3", "DOWNLOAD_FATURA", "EXECUTANDO", "job-3", t0),
                  regras.Tentativa("e", "p1", "UPLOAD_SAT", "CONCLUIDO", "sat", t0)]
    status = {"p1": StatusProcesso.AGUARDANDO_DOWNLOAD, "p2": StatusProcesso.UPLOAD_REALIZADO,
              "p3": StatusProcesso.AGUARDANDO_DOWNLOAD}
    decididos = regras.status_das_tentativas(tentativas, status, ja_em_andamento={("p3", "DOWNLOAD_FATURA")})
    assert {k: v[0] for k, v in decididos.items()} == {
        "a": StatusExecucao.FALHOU, "b": StatusExecucao.EXECUTANDO, "c": StatusExecucao.FALHOU,
        "d": StatusExecucao.FALHOU, "e": StatusExecucao.CONCLUIDO}


def test_legacy_password_hash_verifies_only_the_right_password():
    importado = senhas.hash_importado(hash_pbkdf2("s3nha-antiga", 1))
    assert senhas.eh_hash_legado(importado)
    assert senhas.senha_legada_confere(importado, "s3nha-antiga")
    assert not senhas.senha_legada_confere(importado, "s3nha-antigA")
    assert senhas.hash_importado(None) == senhas.SEM_SENHA
    assert senhas.hash_importado(b"scrypt:32768:8:1$salt$abc") == senhas.SEM_SENHA
    assert not senhas.senha_legada_confere(senhas.SEM_SENHA, "")


@pytest.mark.parametrize("metodo", ["scrypt", "pbkdf2:sha256:1000"])
def test_dev_database_werkzeug_hashes_verify(metodo):
    importado = senhas.hash_importado(None, generate_password_hash("s3nha-dev", method=metodo))
    assert importado.startswith(senhas.PREFIXO_WERKZEUG)
    assert senhas.senha_legada_confere(importado, "s3nha-dev")
    assert not senhas.senha_legada_confere(importado, "outra")

"""Pure business rules: state machine, profiles, documents, months."""

import pytest

from beg_pipeline.domain import calendario
from beg_pipeline.domain.documentos import validar_cnpj, validar_cpf
from beg_pipeline.domain.execucao import TipoExecucao, status_exigido
from beg_pipeline.domain.perfis import SISTEMA, Ator, Perfil, Permissao, PermissaoNegada
from beg_pipeline.domain.processo import (
    TRANSICOES,
    AcaoProcesso,
    StatusProcesso,
    TransicaoInvalida,
    motivo_rejeicao,
    transicao,
)

S = StatusProcesso


@pytest.mark.parametrize(
    "acao,origem,destino",
    [
        (AcaoProcesso.DOWNLOAD_CONCLUIDO, S.AGUARDANDO_DOWNLOAD, S.AGUARDANDO_APROVACAO),
        (AcaoProcesso.UPLOAD_MANUAL, S.AGUARDANDO_DOWNLOAD, S.AGUARDANDO_APROVACAO),
        (AcaoProcesso.APROVAR, S.AGUARDANDO_APROVACAO, S.AGUARDANDO_ENVIO_SAT),
        (AcaoProcesso.REJEITAR, S.AGUARDANDO_APROVACAO, S.AGUARDANDO_DOWNLOAD),
        (AcaoProcesso.ENVIO_SAT_CONCLUIDO, S.AGUARDANDO_ENVIO_SAT, S.UPLOAD_REALIZADO),
    ],
)
def test_legacy_transitions(acao, origem, destino):
    assert transicao(acao, origem).destino == destino


def test_every_other_transition_is_refused_with_the_reason():
    refused = 0
    for acao, t in TRANSICOES.items():
        for status in StatusProcesso:
            if status == t.origem:
                continue
            with pytest.raises(TransicaoInvalida) as err:
                transicao(acao, status, "p-1")
            assert status.value in str(err.value) and "p-1" in str(err.value)
            refused += 1
    assert refused == len(TRANSICOES) * (len(StatusProcesso) - 1)
    assert not any(t.origem == S.UPLOAD_REALIZADO for t in TRANSICOES.values())


def test_repeated_approval_says_it_was_already_done():
    with pytest.raises(TransicaoInvalida, match="já está em AGUARDANDO_ENVIO_SAT"):
        transicao(AcaoProcesso.APROVAR, S.AGUARDANDO_ENVIO_SAT)


@pytest.mark.parametrize("motivo", [None, "", "   ", "ok"])
def test_rejection_needs_a_reason(motivo):
    with pytest.raises(ValueError, match="motivo"):
        motivo_rejeicao(motivo)


def test_profiles():
    operador = Ator(Perfil.OPERADOR, email="op@x")
    assert operador.pode(Permissao.UPLOAD_MANUAL) and not operador.pode(Permissao.APROVAR)
    with pytest.raises(PermissaoNegada, match="OPERADOR"):
        operador.exigir(Permissao.APROVAR)
    assert Ator(Perfil.APROVADOR).pode(Permissao.APROVAR)
    assert all(Ator(Perfil.ADMINISTRADOR).pode(p) for p in Permissao)
    assert not SISTEMA.pode(Permissao.APROVAR) and SISTEMA.pode(Permissao.EXECUTAR_PIPELINE)


@pytest.mark.parametrize("valor", ["84.718.741/0001-00", "84718741000100", "84.718.741/0001\u00ad00", "12ABC34501DE35",
                                   "12.abc.345/01de-35"])
def test_valid_cnpjs(valor):
    assert validar_cnpj(valor) in {"84718741000100", "12ABC34501DE35"}


@pytest.mark.parametrize("valor,erro", [("84718741000101", "verificadores"), ("11111111111111", "iguais"),
                                        ("8471874100010", "14 caracteres"), ("", "14 caracteres")])
def test_invalid_cnpjs(valor, erro):
    with pytest.raises(ValueError, match=erro):
        validar_cnpj(valor)


def test_cpf():
    assert validar_cpf("529.982.247-25") == "52998224725"
    for bad in ("52998224724", "11111111111", "VER COM FULANO"):
        with pytest.raises(ValueError):
            validar_cpf(bad)


def test_mes_ano_and_partition_keys_round_trip():
    assert calendario.mes_ano_de_particao("2026-11-01") == "11/2026"
    assert calendario.particao_de_mes_ano("01/2025") == "2025-01-01"
    for bad in ("2026-13-01", "2026-11-02", "13/2026", "1/2026", "11-2026"):
        with pytest.raises(ValueError):
            if bad.count("-") == 2:
                calendario.mes_ano_de_particao(bad)
            else:
                calendario.particao_de_mes_ano(bad)


def test_execution_type_requires_process_status():
    assert status_exigido(TipoExecucao.UPLOAD_SAT) == S.AGUARDANDO_ENVIO_SAT


def test_due_date_situation_counts_business_days():
    import datetime as dt

    from beg_pipeline.domain.prazos import SituacaoVencimento as V
    from beg_pipeline.domain.prazos import situacao_vencimento

    sexta = dt.date(2026, 11, 27)
    assert situacao_vencimento(dt.date(2026, 11, 26), sexta) == V.VENCIDA
    assert situacao_vencimento(sexta, sexta) == V.VENCE_EM_BREVE
    assert situacao_vencimento(dt.date(2026, 12, 2), sexta) == V.VENCE_EM_BREVE  # Mon, Tue, Wed
    assert situacao_vencimento(dt.date(2026, 12, 3), sexta) == V.NO_PRAZO
    assert situacao_vencimento(None, sexta) == V.SEM_VENCIMENTO

"""Upload manual page: a real PDF moves the process to approval with its execution; each kind of bad file is
refused with the reason and changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from sqlalchemy import select

from beg_pipeline.db.models import Execucao
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import auditoria, processos
from tests.app_fixtures import botao, campo, entrar, ir, mensagens, pdf_de
from tests.builders import mes_com_processos, pessoa
from tests.dominio.test_validacao_pdf import ATIVOS, ENCRIPTADOS, FATURA, HOSTIS_8, POLIGLOTAS, _fatura_alterada

RUINS = {
    "vazio": (b"", "arquivo vazio"),
    "página HTML": (b"<!DOCTYPE html>\n<html><head><title>Login</title></head></html>", "parece uma página HTML"),
    "executável": (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "executável"),
    "truncado": (FATURA[: len(FATURA) // 2], "truncado"),
    "ilegível": (b"%PDF-1.7\n" + bytes(range(256)) * 8 + b"\n%%EOF\n", "ilegível"),
    "criptografado": (_fatura_alterada(ENCRIPTADOS["senha-de-usuario"]), "criptografado"),
    "JavaScript": (_fatura_alterada(ATIVOS["openaction-javascript"][0]), "JavaScript"),
    "ação Launch": (_fatura_alterada(ATIVOS["launch"][0]), "Launch"),
    "arquivo embutido": (_fatura_alterada(ATIVOS["anexo"][0]), "arquivo embutido"),
    "grande demais": (FATURA + b" " * (1024 * 1024), "excede o limite de 1 MB"),
    "OpenAction URI": (_fatura_alterada(HOSTIS_8["openaction-uri"][0]), "/OpenAction /URI"),
    "GoToR para pasta de rede": (_fatura_alterada(HOSTIS_8["link-gotor-unc"][0]), "/GoToR"),
    "PDF e ZIP": (POLIGLOTAS["zip-antes-do-eof"][0](), "ao mesmo tempo PDF e ZIP"),
    "PDF e HTML": (POLIGLOTAS["html-em-comentario"][0](), "ao mesmo tempo PDF e página HTML"),
    "dados após o fim": (POLIGLOTAS["objeto-depois-do-eof"][0](), "depois do marcador final %%EOF"),
}


@pytest.fixture
def aguardando(ctx, app_env, monkeypatch):
    monkeypatch.setenv("BEG_MAX_UPLOAD_MB", "1")
    procs = sorted(mes_com_processos(ctx, n_clientes=3), key=lambda p: p.cliente.razao_social)
    operador = pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.com.br")
    return procs, operador


def _enviar(at, nome: str, conteudo: bytes):
    campo(at, "Fatura em PDF").set_value((nome, conteudo, "application/pdf")).run()
    botao(at, "Enviar fatura").click().run()
    assert not at.exception, at.exception
    return at


def test_a_real_pdf_moves_the_process_to_approval_and_records_who_sent_it(ctx, store, aguardando):
    procs, operador = aguardando
    alvo = procs[1]
    pdf = pdf_de(alvo, Decimal("321.09"), dt.date(2026, 12, 15))
    at = ir(entrar("operador@beg.com.br"), "upload_manual", processo=str(alvo.id))
    assert campo(at, "Processo aguardando download").value == alvo.id
    assert botao(at, "Enviar fatura").disabled
    _enviar(at, "Fatura Dezembro (1).pdf", pdf)
    [aviso] = mensagens(at, "success")
    assert "R$ 321,09" in aviso and "15/12/2026" in aviso and "aguarda aprovação" in aviso

    processo = processos.obter_processo(ctx, alvo.id)
    sha = hashlib.sha256(pdf).hexdigest()
    assert processo.status_processo == "AGUARDANDO_APROVACAO" and processo.upload_manual
    assert processo.upload_manual_por_usuario_id == operador.usuario_id and processo.fatura_sha256 == sha
    assert processo.fatura_s3_key == f"faturas/2026-11/{alvo.cliente.operadora.codigo}/{alvo.id}-{sha[:12]}.pdf"
    assert store.get(processo.fatura_s3_key) == pdf
    with ctx.db.leitura() as s:
        [execucao] = s.scalars(select(Execucao).where(Execucao.processo_id == alvo.id))
        trilha = auditoria.trilha_do_processo(s, alvo.id)
    assert (execucao.tipo_execucao, execucao.status_execucao) == ("UPLOAD_MANUAL", "CONCLUIDO")
    assert execucao.executado_por_usuario_id == operador.usuario_id
    assert execucao.url_arquivo_s3 == processo.fatura_s3_key
    assert execucao.resultado_saida["nome_arquivo"] == "Fatura Dezembro (1).pdf"
    assert [(a.acao, a.ator, a.sha256_pdf) for a in trilha] == [("UPLOAD_MANUAL", "operador@beg.com.br", sha)]
    assert str(alvo.id) not in [str(o) for o in campo(at, "Processo aguardando download").options]


def test_each_kind_of_bad_file_is_refused_with_its_reason_and_changes_nothing(ctx, store, aguardando):
    procs, _ = aguardando
    at = ir(entrar("operador@beg.com.br"), "upload_manual")
    for tipo, (conteudo, motivo) in RUINS.items():
        _enviar(at, f"{tipo}.pdf", conteudo)
        erros = mensagens(at, "error")
        assert len(erros) == 1 and motivo in erros[0] and "Nada foi alterado" in erros[0], (tipo, erros)
    assert {p.status_processo for p in processos.processos_do_mes(ctx, "11/2026")} == {"AGUARDANDO_DOWNLOAD"}
    assert store.list("faturas/") == []
    with ctx.db.leitura() as s:
        assert s.scalars(select(Execucao)).all() == []


def test_only_profiles_that_upload_see_the_page(aguardando):
    at = entrar("aprovador@beg.com.br")
    with pytest.raises(ValueError):
        at.switch_page("app_pages/upload_manual.py")


def test_the_file_is_judged_by_its_content_and_a_refused_one_leaves_the_uploader(ctx, store, aguardando):
    """Issue 17.4: a real PDF named .txt never reached the app's check (Streamlit refused it in English); refused
    files stayed in the widget; the widget announced Streamlit's 200 MB instead of BEG_MAX_UPLOAD_MB."""
    procs, _ = aguardando
    at = ir(entrar("operador@beg.com.br"), "upload_manual", processo=str(procs[0].id))
    uploader = campo(at, "Fatura em PDF")
    assert list(uploader.proto.type) == [] and uploader.proto.max_upload_size_mb == 1

    campo(at, "Fatura em PDF").set_value(("fatura.txt", b"apenas texto", "text/plain")).run()
    botao(at, "Enviar fatura").click().run()
    [erro] = mensagens(at, "error")
    assert "não é um PDF" in erro and "Nada foi alterado" in erro
    assert campo(at, "Fatura em PDF").value is None and botao(at, "Enviar fatura").disabled

    pdf = pdf_de(procs[0], Decimal("55.10"), dt.date(2026, 12, 20))
    _enviar(at, "fatura.txt", pdf)
    [aviso] = mensagens(at, "success")
    assert "R$ 55,10" in aviso and "20/12/2026" in aviso
    assert processos.obter_processo(ctx, procs[0].id).status_processo == "AGUARDANDO_APROVACAO"

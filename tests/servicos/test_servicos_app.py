"""Services behind the approval app: login and lockout, the queue and its flags, bulk approval, manual upload,
searches, notifications."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from beg_pipeline.db.models import Execucao, Processo
from beg_pipeline.domain.perfis import Perfil, PermissaoNegada
from beg_pipeline.domain.prazos import SituacaoVencimento
from beg_pipeline.faturas.pdf_fatura import DadosFatura, gerar_pdf_fatura
from beg_pipeline.faturas.validacao_pdf import PdfRecusado
from beg_pipeline.services import (
    aprovacoes,
    autenticacao,
    cadastros,
    consultas,
    faturas_armazenadas,
    fila_aprovacao,
    notificacoes,
    processos,
    upload_manual,
)
from beg_pipeline.services.contexto import RegraViolada
from beg_pipeline.storage import object_store_from_settings
from tests.builders import ADMIN, baixar, mes_com_processos, pessoa, visto, vistos

HOJE = dt.date(2026, 12, 1)


def _pdf(valor="1234.56", vencimento=dt.date(2026, 12, 10)) -> bytes:
    return gerar_pdf_fatura(DadosFatura(operadora="OI", razao_social="CLIENTE TESTE LTDA", cnpj="84718741000100",
                                        mes_ano="11/2026", valor=Decimal(valor), vencimento=vencimento,
                                        filtro="123"))


def test_login_lockout_after_five_failures(ctx):
    pessoa(ctx, Perfil.APROVADOR, "ana@beg.com.br")
    ator = autenticacao.autenticar(ctx, " Ana@BEG.com.br ", "senha-forte-123", ip="1.2.3.4")
    assert ator.perfil is Perfil.APROVADOR and ator.ip == "1.2.3.4"
    for _ in range(5):
        with pytest.raises(autenticacao.LoginRecusado, match="inválidos"):
            autenticacao.autenticar(ctx, "ana@beg.com.br", "errada")
    with pytest.raises(autenticacao.LoginRecusado, match="inválidos"):  # lock not revealed
        autenticacao.autenticar(ctx, "ana@beg.com.br", "senha-forte-123")
    with pytest.raises(autenticacao.LoginRecusado, match="inválidos"):
        autenticacao.autenticar(ctx, "ninguem@beg.com.br", "x")


def test_deactivated_user_loses_access_at_once(ctx):
    ator = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    assert autenticacao.ator_atual(ctx, ator.usuario_id).perfil is Perfil.OPERADOR
    cadastros.alterar_usuario(ctx, ADMIN, ator.usuario_id, perfil="APROVADOR")
    assert autenticacao.ator_atual(ctx, ator.usuario_id).perfil is Perfil.APROVADOR
    cadastros.alterar_usuario(ctx, ADMIN, ator.usuario_id, status_ativo=False)
    assert autenticacao.ator_atual(ctx, ator.usuario_id) is None
    with pytest.raises(autenticacao.LoginRecusado, match="desativado"):
        autenticacao.autenticar(ctx, "op@beg.com.br", "senha-forte-123")


def test_password_change(ctx):
    ator = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    with pytest.raises(RegraViolada, match="não confere"):
        autenticacao.trocar_senha(ctx, ator, "errada", "uma-senha-nova-1")
    autenticacao.trocar_senha(ctx, ator, "senha-forte-123", "uma-senha-nova-1")
    assert autenticacao.autenticar(ctx, "op@beg.com.br", "uma-senha-nova-1").usuario_id == ator.usuario_id


def test_queue_sorted_by_due_date_with_flags(ctx):
    procs = mes_com_processos(ctx, n_clientes=4)
    for n, p in enumerate(procs):
        baixar(ctx, p.id, n)
    vencimentos = [dt.date(2026, 12, 20), dt.date(2026, 11, 30), dt.date(2026, 12, 3), None]
    with ctx.db.transacao() as s:
        for p, v in zip(procs, vencimentos, strict=True):
            s.execute(update(Processo).where(Processo.id == p.id).values(data_vencimento=v))
        s.execute(update(Processo).where(Processo.id == procs[3].id).values(fatura_sha256=f"{0:064x}"))
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    fila = fila_aprovacao.fila_de_aprovacao(ctx, aprovador, hoje=HOJE)
    assert [i.vencimento for i in fila] == [vencimentos[1], vencimentos[2], vencimentos[0], None]
    assert [i.situacao for i in fila][:3] == [SituacaoVencimento.VENCIDA, SituacaoVencimento.VENCE_EM_BREVE,
                                             SituacaoVencimento.NO_PRAZO]
    assert fila[3].pdf_duplicado and "PDF repetido" in fila[3].sinais
    assert len(fila_aprovacao.fila_de_aprovacao(ctx, aprovador, hoje=HOJE, operadora="OI")) == 1
    assert fila_aprovacao.fila_de_aprovacao(ctx, aprovador, hoje=HOJE, texto="nada-parecido") == []


def test_amount_anomaly_against_the_last_six_invoices(ctx):
    [p] = mes_com_processos(ctx, n_clientes=1, mes_ano="04/2026")
    cliente_id = p.cliente_id
    from beg_pipeline.domain.perfis import SISTEMA

    for mes, valor in [("05/2026", "100"), ("06/2026", "110"), ("07/2026", "90"), ("08/2026", "105"),
                       ("09/2026", "95"), ("10/2026", "100"), ("11/2026", "400")]:
        processos.criar_processos_do_mes(ctx, SISTEMA, mes)
        with ctx.db.transacao() as s:
            s.execute(update(Processo).where(Processo.cliente_id == cliente_id, Processo.mes_ano == mes)
                      .values(valor_fatura=Decimal(valor)))
    [novembro] = processos.processos_do_mes(ctx, "11/2026")
    baixar(ctx, novembro.id)
    with ctx.db.transacao() as s:
        s.execute(update(Processo).where(Processo.id == novembro.id).values(valor_fatura=Decimal("400")))
    [item] = fila_aprovacao.fila_de_aprovacao(ctx, ADMIN, hoje=HOJE)
    assert item.anomalia["mediana"] == 100.0 and item.anomalia["historico"] == [100.0, 110.0, 90.0, 105.0, 95.0, 100.0]
    assert item.sinais == ["valor 300% acima da mediana (R$ 100,00)"]  # 400 against a median of 100


def test_bulk_approval_approves_each_and_reports_refusals(ctx):
    procs = mes_com_processos(ctx, n_clientes=3)
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    for n, p in enumerate(procs[:2]):
        baixar(ctx, p.id, n)
    aprovacoes.aprovar(ctx, aprovador, procs[1].id, sha256=visto(ctx, procs[1].id))
    ids = [procs[0].id, procs[1].id, procs[2].id, procs[0].id]
    resultado = aprovacoes.aprovar_em_lote(ctx, aprovador, ids, sha256=vistos(ctx, ids))
    assert resultado.aprovados == [procs[0].id]
    assert [pid for pid, _ in resultado.recusados] == [procs[1].id, procs[2].id]
    with pytest.raises(PermissaoNegada):
        aprovacoes.aprovar_em_lote(ctx, pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br"), [procs[2].id], sha256={})


def test_manual_upload_stores_reads_and_records(ctx):
    [p] = mes_com_processos(ctx, n_clientes=1)
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    store = object_store_from_settings(ctx.settings)
    with pytest.raises(PdfRecusado):
        upload_manual.enviar_fatura_manual(ctx, operador, store, p.id, b"MZ\x90\x00 not a pdf", "../../etc/passwd.pdf")
    assert processos.obter_processo(ctx, p.id).status_processo == "AGUARDANDO_DOWNLOAD" and store.list("faturas/") == []
    fatura = upload_manual.enviar_fatura_manual(ctx, operador, store, p.id, _pdf(), "../../fatura novembro.pdf")
    assert ".." not in fatura.chave and fatura.chave.startswith("faturas/2026-11/")
    assert store.get(fatura.chave) == _pdf() and fatura.valor == Decimal("1234.56")
    depois = processos.obter_processo(ctx, p.id)
    assert (depois.status_processo, depois.data_vencimento) == ("AGUARDANDO_APROVACAO", dt.date(2026, 12, 10))
    assert depois.fatura_filename == "../../fatura novembro.pdf"  # recorded as given, never used as a key
    with ctx.db.leitura() as s:
        [execucao] = s.scalars(select(Execucao))
    assert execucao.executado_por_usuario_id == operador.usuario_id and execucao.ip_origem == "10.0.0.1"
    with pytest.raises(RegraViolada, match="AGUARDANDO_DOWNLOAD"):
        upload_manual.enviar_fatura_manual(ctx, operador, store, p.id, _pdf(), "outra.pdf")
    assert faturas_armazenadas.pdf_da_fatura(ctx, operador, store, p.id) == _pdf()


def test_process_search_pages_and_detail(ctx):
    procs = mes_com_processos(ctx, n_clientes=7)
    baixar(ctx, procs[0].id)
    pagina = consultas.buscar_processos(ctx, ADMIN, por_pagina=3, pagina=3)
    assert (pagina.total, pagina.paginas, len(pagina.linhas)) == (7, 3, 1)
    assert consultas.buscar_processos(ctx, ADMIN, status="AGUARDANDO_APROVACAO").total == 1
    assert consultas.buscar_processos(ctx, ADMIN, texto=procs[0].cliente.cnpj[:8]).total >= 1
    detalhe = consultas.detalhe_processo(ctx, ADMIN, procs[0].id)
    assert [e.tipo_execucao for e in detalhe.execucoes] == ["DOWNLOAD_FATURA"]
    assert [a.acao for a in detalhe.trilha] == ["DOWNLOAD_CONCLUIDO"]
    assert consultas.meses_com_processos(ctx) == ["11/2026"]


def test_client_edit_password_is_write_only_and_releases_credentials(ctx):
    [p] = mes_com_processos(ctx, n_clientes=1)
    from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
    from beg_pipeline.domain.perfis import SISTEMA

    e = processos.abrir_execucao(ctx, SISTEMA, p.id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, e.id, StatusExecucao.FALHOU, "senha inválida", ClasseFalha.CREDENCIAIS)
    cliente = consultas.obter_cliente(ctx, ADMIN, p.cliente_id)
    dados = cadastros.DadosCliente(razao_social="NOVA RAZAO LTDA", cnpj=cliente.cnpj, operadora="OI",
                                   filtro=cliente.filtro, servico=cliente.servico, unidade=cliente.unidade,
                                   login_portal="novo.login")
    antes = consultas.obter_cliente(ctx, ADMIN, p.cliente_id).senha_portal
    cadastros.salvar_cliente(ctx, ADMIN, p.cliente_id, dados)
    editado = consultas.obter_cliente(ctx, ADMIN, p.cliente_id)
    assert editado.senha_portal == antes and editado.razao_social == "NOVA RAZAO LTDA"  # blank password: kept
    cadastros.salvar_cliente(ctx, ADMIN, p.cliente_id, dados, nova_senha="Nova#Senha9")
    assert ctx.cofre.decifrar(consultas.obter_cliente(ctx, ADMIN, p.cliente_id).senha_portal) == "Nova#Senha9"
    assert processos.obter_processo(ctx, p.id).classe_ultima_falha is None
    with pytest.raises(RegraViolada, match="CNPJ"):
        cadastros.salvar_cliente(ctx, ADMIN, None, cadastros.DadosCliente("X", "11111111111111", "OI", "f"))
    novo = cadastros.salvar_cliente(ctx, ADMIN, None, cadastros.DadosCliente("Y LTDA", "12ABC34501DE35", "VIVO", "f1"))
    with pytest.raises(RegraViolada, match="Já existe"):
        cadastros.salvar_cliente(ctx, ADMIN, None, cadastros.DadosCliente("Y LTDA", "12ABC34501DE35", "VIVO", "f1"))
    assert consultas.obter_cliente(ctx, ADMIN, novo).cnpj == "12ABC34501DE35"


def test_notifications_read_per_user_and_due_dates(ctx):
    procs = mes_com_processos(ctx, n_clientes=2)
    for n, p in enumerate(procs):
        baixar(ctx, p.id, n)
    with ctx.db.transacao() as s:
        s.execute(update(Processo).where(Processo.id == procs[0].id).values(data_vencimento=dt.date(2026, 11, 30)))
        s.execute(update(Processo).where(Processo.id == procs[1].id).values(data_vencimento=dt.date(2027, 1, 30)))
    assert notificacoes.notificar_vencimentos(ctx, "11/2026", HOJE) == 1
    assert notificacoes.notificar_vencimentos(ctx, "11/2026", HOJE) == 0
    notificacoes.notificar(ctx, "Credenciais inválidas: X", "corrija", destinatario="OPERADOR")
    a = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    o = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    assert len(notificacoes.do_usuario(ctx, a)) == 1 and len(notificacoes.do_usuario(ctx, o)) == 2
    alvo = notificacoes.do_usuario(ctx, a)[0].notificacao.id
    notificacoes.marcar_lida(ctx, a, alvo)
    notificacoes.marcar_lida(ctx, a, alvo)
    assert [n.lida for n in notificacoes.do_usuario(ctx, a)] == [True]
    assert not any(n.lida for n in notificacoes.do_usuario(ctx, o))


def test_admin_cannot_lock_the_system_out(ctx):
    admin = pessoa(ctx, Perfil.ADMINISTRADOR, "adm@beg.com.br")
    with pytest.raises(RegraViolada, match="sua própria conta"):
        cadastros.alterar_usuario(ctx, admin, admin.usuario_id, status_ativo=False)
    with pytest.raises(RegraViolada, match="último administrador"):
        cadastros.alterar_usuario(ctx, ADMIN, admin.usuario_id, perfil="OPERADOR")
    outro = pessoa(ctx, Perfil.ADMINISTRADOR, "adm2@beg.com.br")
    cadastros.alterar_usuario(ctx, admin, outro.usuario_id, perfil="APROVADOR")
    rebaixado = autenticacao.ator_atual(ctx, outro.usuario_id)
    assert rebaixado.perfil is Perfil.APROVADOR
    with pytest.raises(PermissaoNegada):
        cadastros.listar_usuarios(ctx, rebaixado)
    emails = cadastros.emails_dos_usuarios(ctx, rebaixado, [admin.usuario_id, None])
    assert emails == {admin.usuario_id: "adm@beg.com.br"}

"""Process services on every database backend: creation, transitions, executions, audit."""

import pytest
from sqlalchemy import event, func, select, text

from beg_pipeline.db.models import Auditoria, Evento, Execucao, Notificacao, Processo
from beg_pipeline.domain.execucao import ClasseFalha, StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import SISTEMA, Perfil, PermissaoNegada
from beg_pipeline.domain.processo import StatusProcesso, TransicaoInvalida
from beg_pipeline.services import aprovacoes, auditoria, cadastros, notificacoes, processos, rodada_robos
from beg_pipeline.services.contexto import RegraViolada
from tests.builders import ADMIN, MES, baixar, fatura, mes_com_processos, pessoa, visto


def _count(ctx, stmt):
    with ctx.db.leitura() as s:
        return s.scalar(stmt)


def test_month_creation_is_idempotent_and_skips_inactive(ctx):
    procs = mes_com_processos(ctx, n_clientes=6)
    assert len(procs) == 6
    assert {p.status_processo for p in procs} == {"AGUARDANDO_DOWNLOAD"}
    assert all(p.criado_automaticamente for p in procs)
    segunda = processos.criar_processos_do_mes(ctx, SISTEMA, MES)
    assert (segunda.criados, segunda.ja_existentes, segunda.ignorados) == (0, 6, 0)
    cadastros.alterar_status_cliente(ctx, ADMIN, procs[0].cliente_id, False)
    outubro = processos.criar_processos_do_mes(ctx, SISTEMA, "10/2026")
    assert (outubro.criados, outubro.ignorados) == (5, 1)
    assert [linha["situacao"] for linha in outubro.linhas].count("ignorado (cliente inativo)") == 1
    with pytest.raises(ValueError, match="MM/AAAA"):
        processos.criar_processos_do_mes(ctx, SISTEMA, "2026-11")


def test_happy_path_to_sat_with_audit(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    baixar(ctx, processo.id)
    aprovacoes.aprovar(ctx, aprovador, processo.id, sha256=visto(ctx, processo.id))
    aprovado = processos.obter_processo(ctx, processo.id)
    assert aprovado.status_processo == "AGUARDANDO_ENVIO_SAT"
    assert aprovado.aprovado_por_usuario_id == aprovador.usuario_id and aprovado.data_aprovacao is not None
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.UPLOAD_SAT, {"cnpj": "x"})
    rodada_robos.registrar_job(ctx, execucao.id, "job-1")
    processos.concluir_envio_sat(ctx, execucao.id, {"protocolo": "SAT-1"})
    final = processos.obter_processo(ctx, processo.id)
    assert final.status_processo == "UPLOAD_REALIZADO" and final.enviado_para_sat and final.tentativas_upload_sat == 1
    with ctx.db.leitura() as s:
        acoes = [a.acao for a in auditoria.trilha_do_processo(s, processo.id)]
        aprovacao = s.scalar(select(Auditoria).where(Auditoria.acao == "APROVAR"))
    assert acoes == ["DOWNLOAD_CONCLUIDO", "APROVAR", "ENVIO_SAT_CONCLUIDO"]
    assert aprovacao.sha256_pdf == fatura(1).sha256 and aprovacao.ip_origem == "10.0.0.1"
    with pytest.raises(RegraViolada, match="AGUARDANDO_ENVIO_SAT"):
        processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.UPLOAD_SAT)


def test_reject_clears_approval_and_needs_reason(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    baixar(ctx, processo.id)
    with pytest.raises(ValueError, match="motivo"):
        aprovacoes.rejeitar(ctx, aprovador, processo.id, " ")
    aprovacoes.rejeitar(ctx, aprovador, processo.id, "Fatura do mês anterior")
    rejeitado = processos.obter_processo(ctx, processo.id)
    assert rejeitado.status_processo == "AGUARDANDO_DOWNLOAD"
    assert rejeitado.aprovado_por_usuario_id is None and rejeitado.tentativas_download == 0
    assert "Fatura do mês anterior" in rejeitado.observacoes
    with pytest.raises(TransicaoInvalida, match="AGUARDANDO_DOWNLOAD"):
        aprovacoes.aprovar(ctx, aprovador, processo.id, sha256=visto(ctx, processo.id))


def test_permissions_are_enforced_in_the_service(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    baixar(ctx, processo.id)
    for call in (lambda: aprovacoes.aprovar(ctx, operador, processo.id, sha256=visto(ctx, processo.id)),
                 lambda: aprovacoes.aprovar(ctx, SISTEMA, processo.id, sha256=visto(ctx, processo.id)),
                 lambda: aprovacoes.rejeitar(ctx, operador, processo.id, "motivo qualquer"),
                 lambda: processos.criar_processos_do_mes(ctx, operador, MES),
                 lambda: cadastros.criar_usuario(ctx, operador, email="x@y.z", nome="x", perfil="ADMINISTRADOR",
                                                 senha="senha-forte-123")):
        with pytest.raises(PermissaoNegada):
            call()
    assert processos.obter_processo(ctx, processo.id).status_processo == "AGUARDANDO_APROVACAO"


def test_manual_upload_and_four_eyes(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    admin = pessoa(ctx, Perfil.ADMINISTRADOR, "adm@beg.com.br")
    outro = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    processos.registrar_upload_manual(ctx, admin, processo.id, fatura(7))
    enviado = processos.obter_processo(ctx, processo.id)
    assert enviado.status_processo == "AGUARDANDO_APROVACAO" and enviado.upload_manual
    assert enviado.fatura_sha256 == fatura(7).sha256
    [execucao] = processos.execucoes_do_processo(ctx, processo.id)
    assert (execucao.tipo_execucao, execucao.status_execucao) == ("UPLOAD_MANUAL", "CONCLUIDO")
    quem = (execucao.executado_por_usuario_id, execucao.ip_origem, execucao.user_agent)
    assert quem == (admin.usuario_id, "10.0.0.1", "pytest")
    with pytest.raises(RegraViolada, match="quatro olhos"):
        aprovacoes.aprovar(ctx, admin, processo.id, sha256=visto(ctx, processo.id))
    aprovacoes.aprovar(ctx, outro, processo.id, sha256=visto(ctx, processo.id))
    with pytest.raises(TransicaoInvalida):
        processos.registrar_upload_manual(ctx, admin, processo.id, fatura(8))


def test_one_running_execution_per_process_and_type(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    primeira = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA, {"login": "x"})
    with pytest.raises(RegraViolada, match="em andamento"):
        processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    assert processos.falhar_execucao(ctx, primeira.id, StatusExecucao.FALHOU, "Erro de login no portal",
                                     ClasseFalha.CREDENCIAIS)
    assert not processos.falhar_execucao(ctx, primeira.id, StatusExecucao.TIMEOUT, "de novo")
    depois = processos.obter_processo(ctx, processo.id)
    assert depois.status_processo == "AGUARDANDO_DOWNLOAD" and depois.classe_ultima_falha == "CREDENCIAIS"
    segunda = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    assert (primeira.numero_tentativa, segunda.numero_tentativa) == (1, 2)
    [fechada] = [e for e in processos.execucoes_do_processo(ctx, processo.id) if e.id == primeira.id]
    assert fechada.detalhes_erro["mensagem"] == "Erro de login no portal" and fechada.classe_falha == "CREDENCIAIS"


def test_a_round_opens_and_concludes_together_and_one_refusal_never_holds_the_others(ctx):
    p1, p2, p3 = mes_com_processos(ctx, 3)
    ja_aberta = processos.abrir_execucao(ctx, SISTEMA, p2.id, TipoExecucao.DOWNLOAD_FATURA)
    abertas = rodada_robos.abrir_execucoes(ctx, SISTEMA, TipoExecucao.DOWNLOAD_FATURA, [
        rodada_robos.PedidoExecucao(p.id, {"login": "x"}, "OI") for p in (p1, p2, p3)])
    assert isinstance(abertas[p2.id], RegraViolada) and "em andamento" in str(abertas[p2.id])
    assert {abertas[p1.id].processo_id, abertas[p3.id].processo_id} == {p1.id, p3.id}
    assert processos.obter_processo(ctx, p2.id).tentativas_download == 1  # the refused one was not counted twice
    # p3's attempt goes stale (closed elsewhere): p1 and p2 are still concluded, p3 says why it was not
    processos.falhar_execucao(ctx, abertas[p3.id].id, StatusExecucao.FALHOU, "fechada por outro processo")
    erros = rodada_robos.concluir_downloads(ctx, [(e.id, fatura(n), {"job_id": f"j{n}"})
                                               for n, e in enumerate((abertas[p1.id], ja_aberta, abertas[p3.id]), 1)])
    assert erros[abertas[p1.id].id] is None and erros[ja_aberta.id] is None
    assert isinstance(erros[abertas[p3.id].id], RegraViolada)
    status = {p.id: processos.obter_processo(ctx, p.id).status_processo for p in (p1, p2, p3)}
    assert status == {p1.id: "AGUARDANDO_APROVACAO", p2.id: "AGUARDANDO_APROVACAO", p3.id: "AGUARDANDO_DOWNLOAD"}
    rodada_robos.registrar_rodada(ctx, jobs={ja_aberta.id: "j-tarde"}, logs={ja_aberta.id: "Download concluído"})
    [execucao] = [e for e in processos.execucoes_do_processo(ctx, p2.id)]
    assert execucao.job_id is None  # a closed attempt never takes a job id; its log still gets the line
    assert execucao.mensagem_log == "Download concluído"


def _instrucoes(ctx):
    """Statements sent to the database while the block runs (an executemany counts once)."""
    enviadas = []

    def contar(*_args):
        enviadas.append(1)

    event.listen(ctx.db.engine, "before_cursor_execute", contar)
    return enviadas, lambda: event.remove(ctx.db.engine, "before_cursor_execute", contar)


def _retrato(ctx, processo_id) -> dict:
    """What a download round leaves for one process, without ids and clocks."""
    with ctx.db.leitura() as s:
        p = s.get(Processo, processo_id)
        [e] = s.scalars(select(Execucao).where(Execucao.processo_id == processo_id)).all()
        return {
            "processo": (p.status_processo, p.tentativas_download, p.ultima_tentativa_download is not None,
                         p.fatura_s3_key is not None, p.fatura_filename[:1], p.valor_fatura, p.data_vencimento,
                         p.upload_manual, p.classe_ultima_falha),
            "execucao": (e.status_execucao, e.numero_tentativa, e.job_id, e.mensagem_log, e.resultado_saida,
                         e.url_arquivo_s3 == p.fatura_s3_key, e.parametros_entrada, e.classe_rpa_utilizada,
                         e.data_fim is not None),
            "eventos": sorted(s.scalars(select(Evento.tipo).where(Evento.processo_id == processo_id))),
            "auditoria": sorted(s.scalars(select(Auditoria.acao).where(Auditoria.processo_id == processo_id))),
            "avisos_abertos": s.scalar(select(func.count()).select_from(Notificacao).where(
                Notificacao.processo_id == processo_id, Notificacao.data_resolucao.is_(None))),
        }


def test_a_round_in_a_few_statements_records_what_one_by_one_records(ctx):
    procs = mes_com_processos(ctx, 12)
    for p in procs:
        notificacoes.notificar(ctx, f"fatura de {p.id} atrasada", "aguarda o robô", processo_id=p.id)
    sozinhos, juntos = procs[:6], procs[6:]
    for n, p in enumerate(sozinhos):
        e = processos.abrir_execucao(ctx, SISTEMA, p.id, TipoExecucao.DOWNLOAD_FATURA, {"login": "x"}, "OI")
        rodada_robos.registrar_job(ctx, e.id, "job")
        rodada_robos.registrar_rodada(ctx, logs={e.id: "Login no portal"})
        rodada_robos.registrar_rodada(ctx, logs={e.id: "Download concluído"})
        processos.concluir_download(ctx, e.id, fatura(n), {"arquivo_fatura": "s3://beg/x.pdf"})
    enviadas, parar = _instrucoes(ctx)
    try:
        abertas = rodada_robos.abrir_execucoes(ctx, SISTEMA, TipoExecucao.DOWNLOAD_FATURA, [
            rodada_robos.PedidoExecucao(p.id, {"login": "x"}, "OI") for p in juntos])
        ids = [abertas[p.id].id for p in juntos]
        rodada_robos.registrar_rodada(ctx, jobs=dict.fromkeys(ids, "job"), logs=dict.fromkeys(ids, "Login no portal"))
        rodada_robos.registrar_rodada(ctx, logs=dict.fromkeys(ids, "Download concluído"))
        erros = rodada_robos.concluir_downloads(ctx, [(e, fatura(n), {"arquivo_fatura": "s3://beg/x.pdf"})
                                                      for n, e in enumerate(ids)])
    finally:
        parar()
    assert set(erros.values()) == {None}
    assert len(enviadas) <= 30, f"{len(enviadas)} statements for a round of 6 (one by one: over 60)"
    esperado = _retrato(ctx, sozinhos[0].id)
    assert esperado["processo"][0] == "AGUARDANDO_APROVACAO" and esperado["avisos_abertos"] == 0
    assert esperado["execucao"][3] == "Login no portal\nDownload concluído"
    for p in procs:
        assert _retrato(ctx, p.id) == esperado, p


def test_operator_releases_a_new_attempt(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    operador = pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    execucao = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
    processos.falhar_execucao(ctx, execucao.id, StatusExecucao.FALHOU, "credenciais", ClasseFalha.CREDENCIAIS)
    processos.liberar_nova_tentativa(ctx, operador, processo.id)
    liberado = processos.obter_processo(ctx, processo.id)
    assert liberado.tentativas_download == 0 and liberado.classe_ultima_falha is None
    baixar(ctx, processo.id)
    with pytest.raises(RegraViolada, match="AGUARDANDO_APROVACAO"):
        processos.liberar_nova_tentativa(ctx, operador, processo.id)


def test_audit_trail_is_append_only(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    baixar(ctx, processo.id)
    for statement in ("UPDATE auditoria SET ator = 'x'", "DELETE FROM auditoria"):
        with pytest.raises(Exception, match="somente inserção"), ctx.db.transacao() as s:
            s.execute(text(statement))
    assert _count(ctx, select(func.count()).select_from(Auditoria)) > 0


def test_counts_of_executions_match_attempts(ctx):
    processo = mes_com_processos(ctx, 1)[0]
    for _ in range(3):
        e = processos.abrir_execucao(ctx, SISTEMA, processo.id, TipoExecucao.DOWNLOAD_FATURA)
        processos.falhar_execucao(ctx, e.id, StatusExecucao.FALHOU, "erro 500", ClasseFalha.TRANSITORIA)
    assert processos.obter_processo(ctx, processo.id).tentativas_download == 3
    assert _count(ctx, select(func.count()).select_from(Execucao)) == 3
    assert _count(ctx, select(func.max(Execucao.numero_tentativa))) == 3
    assert _count(ctx, select(Processo.status_processo)) == StatusProcesso.AGUARDANDO_DOWNLOAD.value

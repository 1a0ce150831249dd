"""BEG's client export as it really is (tests/exportacao_beg.py builds it): most rows have no FILTRO, VIVO accounts
have no portal credentials, and the file carries the real dirty cases. Also: short import transactions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections import Counter
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select

from beg_pipeline.db.models import Auditoria, Cliente, Execucao, Notificacao, Operadora
from beg_pipeline.domain.cadastro import ROTULO_SEM_CREDENCIAIS
from beg_pipeline.domain.perfis import SISTEMA, Perfil
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.rpa.contrato import RpaClient
from beg_pipeline.seguranca import rpa_token
from beg_pipeline.services import (
    aprovacoes,
    autenticacao,
    cadastros,
    consultas,
    importacao_clientes,
    notificacoes,
    processos,
    robos,
)
from beg_pipeline.services.contexto import Contexto, RegraViolada
from beg_pipeline.services.demo import csv_demo
from beg_pipeline.services.importacao_clientes import importar_clientes
from beg_pipeline.storage import object_store_from_settings
from tests.builders import ADMIN, MES, pessoa, visto
from tests.exportacao_beg import ARQUIVO, FORMAS, LINHA_DOIS_CNPJS, REPETIDAS, gerar
from tests.pipeline_fixtures import pipeline_env, simulador  # noqa: F401

CONTEUDO = ARQUIVO.read_bytes()


def _celulas() -> list[list[str]]:
    return list(csv.reader(io.StringIO(CONTEUDO.decode("cp1252"), newline="")))


def _codigo(celula: str) -> str:
    return "".join(celula.upper().split())


def test_the_fixture_is_its_generators_output_shaped_like_the_real_export():
    assert gerar() == CONTEUDO  # `python -m tests.exportacao_beg` rewrites it
    cabecalho, *linhas = _celulas()
    assert len(linhas) == 196 and "SITE PARA EMISSÃO " in cabecalho and "LOGIN " in cabecalho
    por_operadora = Counter(_codigo(linha[4]) for linha in linhas)
    assert por_operadora == {codigo: forma.linhas for codigo, forma in FORMAS.items()}
    for codigo, forma in FORMAS.items():
        suas = [linha for linha in linhas if _codigo(linha[4]) == codigo]
        assert sum(bool(linha[5]) for linha in suas) == forma.com_filtro, codigo
        assert all(bool(linha[11] and linha[12]) == forma.com_credenciais for linha in suas), codigo
        assert len({linha[4] for linha in suas}) == len(forma.grafias), codigo  # OPERADORA written in several cases
    azuton = [linha[6] for linha in linhas if _codigo(linha[4]) == "AZUTON"]
    assert sum(s.startswith("(") for s in azuton) == len(azuton) - 1  # phone numbers, one service name
    texto = CONTEUDO.decode("cp1252")
    assert "Ã‡Ã•ES" in texto and "\u00ad" in texto  # double-encoded text, soft hyphen in a CNPJ
    assert " / " in linhas[LINHA_DOIS_CNPJS - 2][3]
    repetidas = [h for h, n in Counter(tuple(linha) for linha in linhas).items() if n == 2]
    assert len(repetidas) == len(REPETIDAS)
    assert any(linha[13] and not linha[13][0].isdigit() for linha in linhas)  # free text in CPF


def _por_operadora(ctx) -> dict[str, list[Cliente]]:
    with ctx.db.leitura() as s:
        clientes = list(s.scalars(select(Cliente)))
    grupos: dict[str, list[Cliente]] = {}
    for c in clientes:
        grupos.setdefault(c.operadora.codigo, []).append(c)
    return grupos


def _contar(ctx, modelo, *condicoes) -> int:
    with ctx.db.leitura() as s:
        return s.scalar(select(func.count()).select_from(modelo).where(*condicoes))


def test_real_shaped_export_imports_nearly_every_row_once(ctx, monkeypatch):
    monkeypatch.setattr(importacao_clientes, "LINHAS_POR_TRANSACAO", 50)  # four batches
    simulado = importar_clientes(ctx, ADMIN, CONTEUDO, dry_run=True)
    assert _contar(ctx, Cliente) == 0 == _contar(ctx, Operadora)
    relatorio = importar_clientes(ctx, ADMIN, CONTEUDO)
    assert simulado.por_operadora == relatorio.por_operadora
    assert simulado.operadoras_criadas == relatorio.operadoras_criadas
    assert sorted(relatorio.operadoras_criadas) == sorted(FORMAS)
    total = len(_celulas()) - 1
    assert (total - len(relatorio.rejeitados)) / total >= 0.98
    assert relatorio.criados + len(relatorio.duplicadas) + len(relatorio.rejeitados) == total
    [rejeitada] = relatorio.rejeitados  # every rejected row explained by its line
    assert rejeitada.linha == LINHA_DOIS_CNPJS and "dois CNPJs" in rejeitada.motivo
    assert f"Linha {LINHA_DOIS_CNPJS}: coluna CNPJ contém dois CNPJs" in relatorio.resumo()
    assert len(relatorio.duplicadas) == len(REPETIDAS)

    with ctx.db.leitura() as s:
        robos_ = {o.codigo: o.possui_rpa for o in s.scalars(select(Operadora))}
    assert robos_ == {codigo: codigo in {"OI", "VIVO", "EMBRATEL", "DIGITALNET"} for codigo in FORMAS}
    grupos = _por_operadora(ctx)
    for codigo, contagem in relatorio.por_operadora.items():
        assert contagem.criados == len(grupos[codigo]), codigo
        sem = [c for c in grupos[codigo] if robos_[codigo] and not (c.login_portal and c.senha_portal)]
        assert contagem.sem_credenciais == len(sem), codigo
    assert relatorio.por_operadora["VIVO"].sem_credenciais == len(grupos["VIVO"]) > 40  # every VIVO account
    assert sum(c.sem_credenciais for k, c in relatorio.por_operadora.items() if k != "VIVO") == 0
    assert relatorio.por_operadora["OI"].rejeitados == 1
    assert sum(c.filtro == "" for c in grupos["OI"]) > 20  # OI accounts without FILTRO are in too
    assert any(c.filtro == "" and c.senha_portal for c in grupos["OI"])

    pagina = consultas.buscar_clientes(ctx, ADMIN, por_pagina=500)
    marcados = Counter(linha["operadora"] for linha in pagina.linhas if linha["sem_credenciais"])
    assert marcados == {"VIVO": len(grupos["VIVO"])}
    vivo_ativos = sum(c.status_ativo for c in grupos["VIVO"])
    avisos = _contar(ctx, Notificacao, Notificacao.chave.startswith(notificacoes.CHAVE_SEM_CREDENCIAIS))
    assert avisos == vivo_ativos  # one per active account
    auditoria = _contar(ctx, Auditoria)

    again = importar_clientes(ctx, ADMIN, CONTEUDO)  # the same file again changes nothing
    assert (again.criados, again.atualizados, again.inalterados) == (0, 0, relatorio.criados)
    assert again.sem_credenciais == relatorio.sem_credenciais and not again.operadoras_criadas
    assert _contar(ctx, Auditoria) == auditoria
    assert _contar(ctx, Notificacao) == avisos  # notified once per account, not once per import


def test_a_carrier_given_a_robot_notifies_each_account_without_credentials_once(ctx):
    importar_clientes(ctx, ADMIN, CONTEUDO)
    azuton = [c for c in _por_operadora(ctx)["AZUTON"] if c.status_ativo]
    antes = _contar(ctx, Notificacao)
    cadastros.definir_robo_operadora(ctx, ADMIN, "azuton", True)
    assert _contar(ctx, Notificacao) - antes == len(azuton)
    with ctx.db.leitura() as s:
        assuntos = set(s.scalars(select(Notificacao.assunto).where(Notificacao.chave.in_(
            [f"{notificacoes.CHAVE_SEM_CREDENCIAIS}{c.id}" for c in azuton]))))
    assert len(assuntos) == len(azuton) and all(a.endswith(f"): {ROTULO_SEM_CREDENCIAIS}") for a in assuntos)
    cadastros.definir_robo_operadora(ctx, ADMIN, "AZUTON", False)
    cadastros.definir_robo_operadora(ctx, ADMIN, "AZUTON", True)
    assert _contar(ctx, Notificacao) - antes == len(azuton)
    with pytest.raises(RegraViolada, match="só letras e números"):
        cadastros.garantir_operadora(ctx, ADMIN, "OI/VIVO")


@pytest.mark.usefixtures("pipeline_env")
def test_accounts_without_credentials_are_never_submitted_and_wait_for_a_manual_upload(ctx):
    """Import a VIVO account without credentials and an OI account with them; two robot runs submit only OI."""
    linhas = [linha for linha in _celulas()[1:] if _codigo(linha[4]) in ("VIVO", "OI") and linha[15] == "ATIVO"]
    vivo = next(linha for linha in linhas if _codigo(linha[4]) == "VIVO")
    oi = next(linha for linha in linhas if _codigo(linha[4]) == "OI" and linha[5] and "/" not in linha[3])
    saida = io.StringIO()
    csv.writer(saida, lineterminator="\r\n").writerows([_celulas()[0], vivo, oi])
    importar_clientes(ctx, ADMIN, saida.getvalue().encode("cp1252"))
    processos.criar_processos_do_mes(ctx, SISTEMA, MES)
    with simulador() as sim:
        client = RpaClient(sim.base_url, rpa_token(ctx.settings), max_retries=1, backoff_base_s=0.001)
        for _ in range(2):
            resumo = robos.baixar_faturas(ctx, object_store_from_settings(ctx.settings), client, MES,
                                          hoje=dt.date(2026, 12, 2), log=lambda _: None)
            assert {j.operadora for j in sim.jobs.values()} <= {"OI"}
            assert any(linha["situacao"] == ROTULO_SEM_CREDENCIAIS for linha in resumo.linhas)
    pagina = consultas.buscar_processos(ctx, ADMIN, mes_ano=MES, operadora="VIVO")
    [processo] = pagina.linhas
    assert processo["pendencia"] == ROTULO_SEM_CREDENCIAIS
    assert processo["status_processo"] == StatusProcesso.AGUARDANDO_DOWNLOAD.value
    assert _contar(ctx, Execucao, Execucao.processo_id == processo["id"]) == 0  # no failed job, ever
    [oi_processo] = consultas.buscar_processos(ctx, ADMIN, mes_ano=MES, operadora="OI").linhas
    assert oi_processo["pendencia"] is None

    vivo_cliente = _por_operadora(ctx)["VIVO"][0]  # credentials arrive: the robot may take it now
    cadastros.salvar_cliente(ctx, ADMIN, vivo_cliente.id, cadastros.DadosCliente(
        razao_social=vivo_cliente.razao_social, cnpj=vivo_cliente.cnpj, operadora="VIVO", unidade=vivo_cliente.unidade,
        servico=vivo_cliente.servico, login_portal="vivo.login"), nova_senha="senha-do-portal")
    [processo] = consultas.buscar_processos(ctx, ADMIN, mes_ano=MES, operadora="VIVO").linhas
    assert processo["pendencia"] is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_login_gets_the_write_lock_between_import_batches(ctx, settings, monkeypatch):
    """A login from another connection (the app's) waits for one batch, not for the whole import: it is written
    between two batches. The import pauses after its first committed batch until the login is done."""
    monkeypatch.setattr(importacao_clientes, "LINHAS_POR_TRANSACAO", 50)
    pessoa(ctx, Perfil.OPERADOR, "operador@beg.com.br")
    app = Contexto(settings)
    lote_gravado, login_feito, erros = threading.Event(), threading.Event(), []
    original = ctx.db.transacao

    @contextmanager
    def transacao_observada():
        with original() as s:
            yield s
        lote_gravado.set()
        login_feito.wait(60)

    def entrar():
        lote_gravado.wait(60)
        try:
            autenticacao.autenticar(app, "operador@beg.com.br", "senha-forte-123")
        except Exception as exc:  # noqa: BLE001 - asserted below
            erros.append(exc)
        finally:
            login_feito.set()

    monkeypatch.setattr(ctx.db, "transacao", transacao_observada)
    escritor = threading.Thread(target=entrar)
    escritor.start()
    try:
        relatorio = importar_clientes(ctx, ADMIN, csv_demo(300))
    finally:
        login_feito.set()
        escritor.join(60)
        app.db.dispose()
    assert not erros and relatorio.criados == 300
    with ctx.db.leitura() as s:
        login = s.scalar(select(Auditoria.id).where(Auditoria.acao == "LOGIN"))
        importados = list(s.scalars(select(Auditoria.id).where(Auditoria.acao == "IMPORTAR_CLIENTE_CRIADO")))
    assert min(importados) < login < max(importados)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_failed_batch_leaves_nothing_of_itself_and_the_same_file_again_completes_the_import(ctx, monkeypatch):
    monkeypatch.setattr(importacao_clientes, "LINHAS_POR_TRANSACAO", 4)
    conteudo = csv_demo(10)
    original, chamadas = ctx.cofre.cifrar, Counter()

    def cifrar(texto):
        chamadas["n"] += 1
        if chamadas["n"] == 6:  # in the second batch
            raise RuntimeError("falha no meio da importação")
        return original(texto)

    monkeypatch.setattr(ctx.cofre, "cifrar", cifrar)
    with pytest.raises(RuntimeError):
        importar_clientes(ctx, ADMIN, conteudo)
    assert _contar(ctx, Cliente) == 4 == _contar(ctx, Auditoria, Auditoria.acao == "IMPORTAR_CLIENTE_CRIADO")
    monkeypatch.setattr(ctx.cofre, "cifrar", original)
    relatorio = importar_clientes(ctx, ADMIN, conteudo)
    assert (relatorio.criados, relatorio.inalterados) == (6, 4) and _contar(ctx, Cliente) == 10


@pytest.mark.usefixtures("pipeline_env")
def test_an_account_without_filtro_is_downloaded_and_reaches_sat(ctx):
    """OI accounts with a login but no FILTRO (27 of 56 at BEG): the robot gets an empty filtro, SAT an empty
    nome_filtro."""
    linhas = [linha for linha in _celulas()[1:] if _codigo(linha[4]) == "OI" and linha[15] == "ATIVO"]
    oi = next(linha for linha in linhas if not linha[5].strip() and linha[11].strip() and " / " not in linha[3])
    saida = io.StringIO()
    csv.writer(saida, lineterminator="\r\n").writerows([_celulas()[0], oi])
    importar_clientes(ctx, ADMIN, saida.getvalue().encode("cp1252"))
    processos.criar_processos_do_mes(ctx, SISTEMA, MES)
    aprovador = pessoa(ctx, Perfil.APROVADOR, "aprovador@beg.test")
    with simulador() as sim:
        client = RpaClient(sim.base_url, rpa_token(ctx.settings), max_retries=1, backoff_base_s=0.001)
        robos.baixar_faturas(ctx, object_store_from_settings(ctx.settings), client, MES,
                             hoje=dt.date(2026, 12, 2), log=lambda _: None)
        [processo] = consultas.buscar_processos(ctx, ADMIN, mes_ano=MES).linhas
        assert processo["status_processo"] == StatusProcesso.AGUARDANDO_APROVACAO.value
        aprovacoes.aprovar(ctx, aprovador, processo["id"], sha256=visto(ctx, processo["id"]))
        robos.enviar_ao_sat(ctx, client, MES, log=lambda _: None)
        pedidos = [j.pedido for j in sim.jobs.values()]
    [processo] = consultas.buscar_processos(ctx, ADMIN, mes_ano=MES).linhas
    assert processo["status_processo"] == StatusProcesso.UPLOAD_REALIZADO.value
    assert [getattr(p, "filtro", getattr(p, "nome_filtro", None)) for p in pedidos] == ["", ""]

"""Cadastros pages (ADMINISTRADOR): clients with a write-only portal password and CSV import, carriers, users."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from beg_pipeline.db.models import Cliente
from beg_pipeline.domain.cadastro import ROTULO_SEM_CREDENCIAIS
from beg_pipeline.domain.perfis import SISTEMA, Perfil, PermissaoNegada
from beg_pipeline.importacao.leitura_csv import ler_csv_clientes
from beg_pipeline.services import cadastros, importacao_clientes, processos
from beg_pipeline.services.demo import csv_demo
from tests.app_fixtures import (
    SENHA,
    abrir,
    botao,
    campo,
    entrar,
    ir,
    mensagens,
    oculto,
    rotulos,
    tentar_entrar,
    textos,
)
from tests.builders import ADMIN, MES, mes_com_processos, pessoa
from tests.exportacao_beg import ARQUIVO

SENHA_PORTAL = "segredo-do-portal-42"
EXPORTACAO = ARQUIVO.read_bytes()


@pytest.fixture
def admin(ctx, app_env):
    mes_com_processos(ctx, n_clientes=3)
    return pessoa(ctx, Perfil.ADMINISTRADOR, "admin@beg.com.br")


def _cliente(ctx, razao_social: str) -> Cliente:
    with ctx.db.leitura() as s:
        return s.scalar(select(Cliente).where(Cliente.razao_social == razao_social))


def test_client_edit_keeps_the_portal_password_write_only(ctx, admin):
    at = ir(entrar("admin@beg.com.br"), "cadastro_clientes")
    assert len(at.dataframe[0].value) == 3
    campo(at, "Buscar").input("RICAL").run()
    tabela = at.dataframe[0].value
    assert list(tabela["Razão social"]) == ["RICAL RACK INDUSTRIA 01 LTDA"]
    assert list(tabela["Senha cadastrada"]) == ["sim"]
    alvo = _cliente(ctx, "RICAL RACK INDUSTRIA 01 LTDA")
    cifrada = alvo.senha_portal
    campo(at, "Editar").set_value(alvo.id).run()
    senha = campo(at, "Senha do portal")
    assert oculto(senha) and senha.value == ""

    campo(at, "Unidade").input("Vilhena-RO")
    botao(at, "Salvar cliente").click().run()
    assert mensagens(at, "success") == ["Cliente RICAL RACK INDUSTRIA 01 LTDA salvo."]
    depois = _cliente(ctx, "RICAL RACK INDUSTRIA 01 LTDA")
    assert depois.unidade == "Vilhena-RO" and depois.senha_portal == cifrada  # blank keeps the password

    campo(at, "Senha do portal").input(SENHA_PORTAL)
    botao(at, "Salvar cliente").click().run()
    depois = _cliente(ctx, "RICAL RACK INDUSTRIA 01 LTDA")
    assert depois.senha_portal not in (cifrada, SENHA_PORTAL)
    assert ctx.cofre.decifrar(depois.senha_portal) == SENHA_PORTAL
    assert campo(at, "Senha do portal").value == "" and SENHA_PORTAL not in repr(at) + textos(at)

    campo(at, "CNPJ").input("11.111.111/1111-11")
    botao(at, "Salvar cliente").click().run()
    assert len(mensagens(at, "error")) == 1 and campo(at, "CNPJ").value == "11.111.111/1111-11"

    botao(at, "Desativar cliente").click().run()
    assert not _cliente(ctx, "RICAL RACK INDUSTRIA 01 LTDA").status_ativo and "Ativar cliente" in rotulos(at)


def test_new_client(ctx, admin):
    at = ir(entrar("admin@beg.com.br"), "cadastro_clientes")
    campo(at, "Razão social").input("NOVA EMPRESA LTDA")
    campo(at, "CNPJ").input("84.718.741/0001-00")
    campo(at, "Conta / filtro").input("123-9")
    campo(at, "Operadora").set_value("VIVO")
    botao(at, "Salvar cliente").click().run()
    novo = _cliente(ctx, "NOVA EMPRESA LTDA")
    assert (novo.cnpj, novo.operadora.codigo, novo.filtro) == ("84718741000100", "VIVO", "123-9")
    assert novo.senha_portal is None


def test_csv_import_simulates_first_and_reports_each_rejected_line(ctx, admin):
    linha_ruim = "abcdef0123456789,EMPRESA RUIM LTDA,RUIM,11.111.111/1111-11,Oi,999,Fixo,,,,,,,,,ATIVO,,\n"
    conteudo = csv_demo(5) + linha_ruim.encode()
    at = ir(entrar("admin@beg.com.br"), "cadastro_clientes")
    assert campo(at, "Apenas simular (não grava nada)").value is True
    campo(at, "Planilha de clientes (CSV)").set_value(("clientes.csv", conteudo, "text/csv")).run()
    botao(at, "Importar").click().run()
    [aviso] = mensagens(at, "warning")
    assert aviso.startswith("Simulação (nada foi gravado): 2 criados, 0 atualizados, 3 inalterados, 1 rejeitados")
    assert "Linha 7:" in at.code[0].value
    assert len(cadastros.listar_operadoras(ctx, ADMIN)) == 4 and _cliente(ctx, "HOSPITAL SANTA LUZIA 05 LTDA") is None

    campo(at, "Apenas simular (não grava nada)").uncheck().run()
    botao(at, "Importar").click().run()
    assert mensagens(at, "warning")[0].startswith("2 criados, 0 atualizados, 3 inalterados, 1 rejeitados")
    assert _cliente(ctx, "HOSPITAL SANTA LUZIA 05 LTDA") is not None


def test_real_export_import_reports_per_carrier_and_marks_accounts_without_credentials(ctx, app_env):
    pessoa(ctx, Perfil.ADMINISTRADOR, "admin@beg.com.br")
    at = ir(entrar("admin@beg.com.br"), "cadastro_clientes")
    campo(at, "Planilha de clientes (CSV)").set_value(("clientes.csv", EXPORTACAO, "text/csv")).run()
    campo(at, "Apenas simular (não grava nada)").uncheck().run()
    botao(at, "Importar").click().run()
    assert not at.exception, at.exception
    vivo = [c for c in _todos(ctx) if c.operadora.codigo == "VIVO"]
    relatorio = at.dataframe[1].value.set_index("Operadora")
    assert tuple(relatorio.loc["VIVO", ["Robô", "Criados", "Sem credenciais"]]) == ("sim", len(vivo), len(vivo))
    assert relatorio.loc["AZUTON", "Robô"] == "não" and relatorio.loc["AZUTON", "Sem credenciais"] == 0
    assert relatorio["Rejeitados"].sum() == 1 and "Linha 150: coluna CNPJ contém dois CNPJs" in at.code[0].value

    at.run()
    tabela = at.dataframe[0].value
    assert len(tabela) == 50 and (tabela["Operadora"] == "VIVO").any()
    assert ((tabela["Robô"] == ROTULO_SEM_CREDENCIAIS) == (tabela["Operadora"] == "VIVO")).all()

    processos.criar_processos_do_mes(ctx, SISTEMA, MES)
    at = ir(at, "processos")
    campo(at, "Operadora").set_value("VIVO").run()
    situacoes = set(at.dataframe[0].value["Situação"])
    assert situacoes == {f"Aguardando download ({ROTULO_SEM_CREDENCIAIS})"}
    campo(at, "Operadora").set_value("OI").run()
    assert set(at.dataframe[0].value["Situação"]) == {"Aguardando download"}


def _todos(ctx) -> list[Cliente]:
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Cliente)))


def test_carriers(ctx, admin):
    at = ir(entrar("admin@beg.com.br"), "cadastro_operadoras")
    assert list(at.dataframe[0].value["Código"]) == ["DIGITALNET", "EMBRATEL", "OI", "VIVO"]
    campo(at, "Alterar").set_value(next(o.id for o in cadastros.listar_operadoras(ctx, ADMIN) if o.codigo == "OI"))
    at.run()
    campo(at, "Possui robô de download").uncheck()
    campo(at, "Ativa").uncheck()
    botao(at, "Salvar operadora").click().run()
    oi = next(o for o in cadastros.listar_operadoras(ctx, ADMIN) if o.codigo == "OI")
    assert (oi.possui_rpa, oi.status_ativo) == (False, False)

    campo(at, "Código").input("claro")
    campo(at, "Nome").input("Claro")
    botao(at, "Cadastrar operadora").click().run()
    assert mensagens(at, "success") == ["Operadora CLARO cadastrada."]
    claro = next(o for o in cadastros.listar_operadoras(ctx, ADMIN) if o.codigo == "CLARO")
    assert (claro.nome, claro.possui_rpa) == ("Claro", False)
    campo(at, "Código").input("VIVO")
    botao(at, "Cadastrar operadora").click().run()
    assert mensagens(at, "error") == ["A operadora VIVO já está cadastrada."]


def test_users_create_change_deactivate_and_reset_password(ctx, admin):
    at = ir(entrar("admin@beg.com.br"), "cadastro_usuarios")
    campo(at, "Nome completo").input("Maria Aprovadora")
    campo(at, "E-mail").input("Maria@BEG.com.br")
    campo(at, "Perfil").set_value("APROVADOR")
    campo(at, "Senha inicial").input("senha-da-maria-1")
    campo(at, "Confirme a senha").input("senha-da-maria-1")
    botao(at, "Criar usuário").click().run()
    assert mensagens(at, "success") == ["Usuário maria@beg.com.br criado."]
    maria = next(u for u in cadastros.listar_usuarios(ctx, ADMIN) if u.email == "maria@beg.com.br")
    assert maria.perfil is Perfil.APROVADOR

    campo(at, "Alterar usuário").set_value(admin.usuario_id).run()
    assert botao(at, "Salvar usuário").disabled  # nobody demotes or deactivates themselves here

    campo(at, "Alterar usuário").set_value(maria.id).run()
    perfis = [w for w in at.selectbox if w.label == "Perfil"]
    perfis[-1].set_value("OPERADOR")
    campo(at, "Ativo").uncheck()
    botao(at, "Salvar usuário").click().run()
    maria = next(u for u in cadastros.listar_usuarios(ctx, ADMIN) if u.id == maria.id)
    assert (maria.perfil, maria.status_ativo) == (Perfil.OPERADOR, False)
    assert "Usuário desativado" in mensagens(tentar_entrar(abrir(), "maria@beg.com.br", "senha-da-maria-1"), "error")[0]

    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    bloqueio = abrir()
    for _ in range(5):
        tentar_entrar(bloqueio, "op@beg.com.br", "errada-errada-1")
    assert mensagens(tentar_entrar(bloqueio, "op@beg.com.br", SENHA), "error")[0].startswith("E-mail ou senha")
    at.run()
    campo(at, "Alterar usuário").set_value(next(u.id for u in cadastros.listar_usuarios(ctx, ADMIN)
                                                if u.email == "op@beg.com.br")).run()
    campo(at, "Nova senha").input("redefinida-123")
    campo(at, "Confirme a nova senha").input("redefinida-123")
    assert oculto(campo(at, "Nova senha"))
    botao(at, "Redefinir senha").click().run()
    assert mensagens(at, "success") == ["Senha de op@beg.com.br redefinida."]
    assert "Sair" in rotulos(entrar("op@beg.com.br", "redefinida-123"))


def test_registry_services_refuse_other_profiles(ctx, admin):
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    with pytest.raises(PermissaoNegada):
        cadastros.criar_usuario(ctx, aprovador, email="x@beg.com.br", nome="X", perfil="ADMINISTRADOR", senha=SENHA)
    with pytest.raises(PermissaoNegada):
        cadastros.alterar_status_cliente(ctx, aprovador, _cliente(ctx, "RICAL RACK INDUSTRIA 01 LTDA").id, False)


def test_import_page_lists_the_columns_offers_a_template_and_reports_likely_duplicates(ctx, admin):
    """Issue 17.3: an unknown header is a Portuguese message, the columns and a template are on the page, and a row
    repeating a stored account without UNIDADE/SERVIÇO is reported instead of creating a second client."""
    at = ir(entrar("admin@beg.com.br"), "cadastro_clientes")
    assert "RAZÃO SOCIAL, NOME SAT, CNPJ, OPERADORA, FILTRO" in textos(at)
    [modelo] = [b for b in at.get("download_button") if b.proto.label == "Baixar planilha modelo (CSV)"]
    cabecalho = importacao_clientes.modelo_csv().decode("utf-8-sig").strip()
    assert ler_csv_clientes(cabecalho.encode()).linhas == [] and "RAZÃO SOCIAL" in cabecalho and modelo

    campo(at, "Planilha de clientes (CSV)").set_value(("clientes.xlsx", b"NOME;DOC\nA;1\n", "text/plain")).run()
    botao(at, "Importar").click().run()
    assert not at.exception
    [erro] = mensagens(at, "error")
    assert erro.startswith("Cabeçalho não reconhecido: faltam as colunas obrigatórias") and "Nada foi gravado" in erro

    existente = _cliente(ctx, "RICAL RACK INDUSTRIA 01 LTDA")
    linha = (f",{existente.razao_social},,{existente.cnpj},{existente.operadora.codigo},{existente.filtro},"
             ",,,,,,,,,ATIVO")
    campo(at, "Planilha de clientes (CSV)").set_value(("c.csv", f"{cabecalho}\n{linha}\n".encode(), "text/csv")).run()
    campo(at, "Apenas simular (não grava nada)").uncheck().run()
    botao(at, "Importar").click().run()
    [aviso] = mensagens(at, "warning")
    assert aviso.startswith("0 criados, 0 atualizados, 0 inalterados, 0 rejeitados, 1 prováveis duplicados")
    assert "Linha 2: provável duplicata de RICAL RACK INDUSTRIA 01 LTDA (já cadastrado)" in at.code[0].value
    with ctx.db.leitura() as s:
        assert s.scalar(select(func.count()).select_from(Cliente).where(Cliente.cnpj == existente.cnpj)) == 1

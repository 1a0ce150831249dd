"""Login gate, lockout, logout, password change, and which pages each profile gets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from beg_pipeline.db.models import Auditoria
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services.autenticacao import RECUSA
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
)
from tests.builders import pessoa

PAGINAS = ["fila_aprovacao", "upload_manual", "processos", "processo_detalhe", "visao_mensal", "notificacoes",
           "cadastro_clientes", "cadastro_operadoras", "cadastro_usuarios", "minha_conta"]
PERMITIDAS = {
    Perfil.ADMINISTRADOR: set(PAGINAS),
    Perfil.APROVADOR: set(PAGINAS) - {"upload_manual", "cadastro_clientes", "cadastro_operadoras", "cadastro_usuarios"},
    Perfil.OPERADOR: set(PAGINAS) - {"cadastro_clientes", "cadastro_operadoras", "cadastro_usuarios"},
}


def _registradas(at) -> set[str]:
    registradas = set()
    for pagina in PAGINAS:
        try:
            at.switch_page(f"app_pages/{pagina}.py")
        except ValueError:
            continue
        registradas.add(pagina)
    return registradas


def test_login_logout_and_audit(ctx, app_env):
    pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    at = abrir()
    assert _registradas(at) == set()
    assert oculto(campo(at, "Senha"))
    tentar_entrar(at, "ap@beg.com.br", "senha-errada-000")
    assert mensagens(at, "error") == [RECUSA]
    tentar_entrar(at, "AP@beg.com.br ", SENHA)
    assert at.title[0].value == "Fila de aprovação" and "Sair" in rotulos(at)
    botao(at, "Sair").click().run()
    assert "Entrar" in rotulos(at) and "Você saiu do sistema." in mensagens(at, "info")
    assert _registradas(at) == set()
    with ctx.db.leitura() as s:
        acoes = list(s.scalars(select(Auditoria.acao).order_by(Auditoria.id)))
    assert acoes[-3:] == ["LOGIN_FALHOU", "LOGIN", "LOGOUT"]


def test_lockout_after_five_failures(ctx, app_env):
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    at = abrir()
    for _ in range(5):
        tentar_entrar(at, "op@beg.com.br", "senha-errada-000")
    tentar_entrar(at, "op@beg.com.br", SENHA)
    [erro] = mensagens(at, "error")
    assert erro == RECUSA and "Sair" not in rotulos(at)


@pytest.mark.parametrize("perfil", list(PERMITIDAS), ids=lambda p: p.value)
def test_each_profile_gets_only_its_pages(ctx, app_env, perfil):
    pessoa(ctx, perfil, "alguem@beg.com.br")
    at = entrar("alguem@beg.com.br")
    assert at.title[0].value == ("Processos" if perfil is Perfil.OPERADOR else "Fila de aprovação")
    assert _registradas(at) == PERMITIDAS[perfil]


def test_password_change(ctx, app_env):
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    at = ir(entrar("op@beg.com.br"), "minha_conta")

    def trocar(atual: str, nova: str, confirmacao: str):
        campo(at, "Senha atual").input(atual)
        campo(at, "Nova senha").input(nova)
        campo(at, "Confirme a nova senha").input(confirmacao)
        botao(at, "Trocar senha").click().run()

    assert all(oculto(campo(at, r)) for r in ("Senha atual", "Nova senha", "Confirme a nova senha"))
    trocar(SENHA, "nova-senha-boa-1", "outra-coisa-123")
    assert mensagens(at, "error") == ["A nova senha e a confirmação não conferem."]
    trocar("errada-errada-1", "nova-senha-boa-1", "nova-senha-boa-1")
    assert mensagens(at, "error") == ["A senha atual não confere."]
    trocar(SENHA, "curta", "curta")
    assert "pelo menos 10 caracteres" in mensagens(at, "error")[0]
    trocar(SENHA, "nova-senha-boa-1", "nova-senha-boa-1")
    assert mensagens(at, "success") == ["Senha alterada."]
    assert "Sair" not in rotulos(tentar_entrar(abrir(), "op@beg.com.br", SENHA))
    assert "Sair" in rotulos(entrar("op@beg.com.br", "nova-senha-boa-1"))

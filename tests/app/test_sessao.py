"""The app's session: proxy IP, profile changes, bad configuration, first run."""

import pytest

from approval_app import acesso
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import cadastros
from tests.app_fixtures import abrir, entrar, ir, mensagens, rotulos
from tests.builders import ADMIN, pessoa


def test_ip_comes_from_the_proxy_header_first():
    assert acesso.ip_de({"X-Forwarded-For": "200.1.2.3, 10.0.0.1"}, "10.0.0.9") == "200.1.2.3"
    assert acesso.ip_de({"X-Real-IP": "200.1.2.4"}, "10.0.0.9") == "200.1.2.4"
    assert acesso.ip_de({}, "10.0.0.9") == "10.0.0.9"
    assert acesso.ip_de({}, None) is None


def test_a_deactivated_user_loses_access_on_the_next_rerun(ctx, app_env):
    aprovador = pessoa(ctx, Perfil.APROVADOR, "ap@beg.com.br")
    at = entrar("ap@beg.com.br")
    assert "Sair" in rotulos(at)
    cadastros.alterar_usuario(ctx, ADMIN, aprovador.usuario_id, status_ativo=False)
    at.run()
    assert "Entrar" in rotulos(at) and "Sair" not in rotulos(at)
    assert any("desativado" in w for w in mensagens(at, "warning"))


def test_a_profile_change_takes_effect_on_the_next_rerun(ctx, app_env):
    usuario = pessoa(ctx, Perfil.ADMINISTRADOR, "adm@beg.com.br")
    pessoa(ctx, Perfil.ADMINISTRADOR, "outro.adm@beg.com.br")  # the last active admin cannot be demoted
    at = entrar("adm@beg.com.br")
    ir(at, "cadastro_usuarios")
    cadastros.alterar_usuario(ctx, ADMIN, usuario.usuario_id, perfil="OPERADOR")
    at.run()
    with pytest.raises(ValueError):
        at.switch_page("app_pages/cadastro_usuarios.py")


def test_a_bad_configuration_is_shown_naming_the_variable(app_env, monkeypatch):
    monkeypatch.setenv("BEG_MAX_UPLOAD_MB", "0")
    at = abrir()
    assert "BEG_MAX_UPLOAD_MB" in mensagens(at, "error")[0] and not at.button


def test_first_run_without_users_says_how_to_create_one(app_env):
    assert "beg usuarios criar" in mensagens(abrir(), "info")[0]

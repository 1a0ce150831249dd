"""The app's session: proxy IP, profile changes, bad configuration, first run."""

import ipaddress

import pytest

from approval_app import acesso
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import cadastros
from beg_pipeline.settings import ConfiguracaoInvalida, load_settings
from tests.app_fixtures import abrir, entrar, ir, mensagens, rotulos
from tests.builders import ADMIN, pessoa


def test_forwarded_for_is_ignored_unless_the_connection_comes_from_a_trusted_proxy():
    """Issue 14 finding 6: any client wrote its own ``ip_origem`` into the audit with X-Forwarded-For."""
    proxy = (ipaddress.ip_network("10.0.0.0/24"),)
    forjado = {"X-Forwarded-For": "200.1.2.3", "X-Real-IP": "200.1.2.4"}
    assert acesso.ip_de(forjado, "198.51.100.9") == "198.51.100.9"  # default: no proxy trusted
    assert acesso.ip_de(forjado, "198.51.100.9", proxy) == "198.51.100.9"  # not from the proxy
    assert acesso.ip_de({"X-Real-IP": "200.1.2.4"}, "10.0.0.9", proxy) == "10.0.0.9"
    assert acesso.ip_de({}, "10.0.0.9", proxy) == "10.0.0.9"
    assert acesso.ip_de({}, None) is None


def test_behind_a_trusted_proxy_the_nearest_untrusted_forwarded_address_is_the_client():
    proxies = (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("2001:db8::/32"))
    # the client forged 1.1.1.1; the proxy appended the address it saw (200.1.2.3), then an inner proxy 10.0.0.1
    assert acesso.ip_de({"X-Forwarded-For": "1.1.1.1, 200.1.2.3, 10.0.0.1"}, "10.0.0.9", proxies) == "200.1.2.3"
    assert acesso.ip_de({"X-Forwarded-For": "2001:db8::5, 2804:14c::1"}, "2001:db8::1", proxies) == "2804:14c::1"
    assert acesso.ip_de({"X-Forwarded-For": "[x](http://evil)"}, "10.0.0.9", proxies) == "10.0.0.9"
    assert acesso.ip_de({"X-Forwarded-For": "10.0.0.3"}, "10.0.0.9", proxies) == "10.0.0.9"


def test_trusted_proxies_setting_reads_addresses_and_networks_and_names_a_bad_one():
    assert load_settings(proxies_confiaveis="").proxies_confiaveis == ()
    assert load_settings(proxies_confiaveis=" 10.0.0.5 ,192.168.0.0/16").proxies_confiaveis == (
        ipaddress.ip_network("10.0.0.5/32"), ipaddress.ip_network("192.168.0.0/16"))
    with pytest.raises(ConfiguracaoInvalida, match="BEG_PROXIES_CONFIAVEIS.*'proxy.local' não é um IP"):
        load_settings(proxies_confiaveis="10.0.0.5,proxy.local")


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

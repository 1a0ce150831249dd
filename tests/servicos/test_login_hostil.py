"""Login under hostile use (issue 14, finding 5): concurrent guessing, account enumeration, one address guessing
many accounts. The password checks are counted by wrapping ``autenticacao.conferir_senha``."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from beg_pipeline.db.models import Auditoria, TentativaLoginOrigem, Usuario, agora
from beg_pipeline.domain.perfis import Perfil
from beg_pipeline.services import autenticacao
from beg_pipeline.services.autenticacao import JANELA_ORIGEM, MAX_FALHAS, MAX_TENTATIVAS_ORIGEM, RECUSA, LoginRecusado
from tests.builders import pessoa

SENHA = "senha-forte-123"  # the password tests.builders.pessoa gives every user


@pytest.fixture
def conferencias(monkeypatch) -> Counter:
    """How many password checks ran against each stored hash (the real verify still runs)."""
    contagem: Counter = Counter()
    trava = threading.Lock()
    real = autenticacao.conferir_senha

    def contar(senha_hash: str, senha: str) -> bool:
        with trava:
            contagem[senha_hash] += 1
        return real(senha_hash, senha)

    monkeypatch.setattr(autenticacao, "conferir_senha", contar)
    return contagem


def _hash(ctx, email: str) -> str:
    with ctx.db.leitura() as s:
        return s.scalar(select(Usuario.senha_hash).where(Usuario.email == email))


def _recusa(ctx, email: str, senha: str, ip: str | None = None) -> str:
    with pytest.raises(LoginRecusado) as recusa:
        autenticacao.autenticar(ctx, email, senha, ip=ip)
    return str(recusa.value)


def test_concurrent_wrong_passwords_check_at_most_five(ctx, conferencias):
    ator = pessoa(ctx, Perfil.ADMINISTRADOR, "admin@beg.com.br")
    n = 30
    largada = threading.Barrier(n)

    def tentar(i: int) -> str:
        largada.wait()
        return _recusa(ctx, "admin@beg.com.br", f"errada-{i}", ip=f"10.1.0.{i}")  # 30 addresses: no address limit

    with ThreadPoolExecutor(n) as pool:
        mensagens = list(pool.map(tentar, range(n)))
    assert set(mensagens) == {RECUSA}
    assert conferencias[_hash(ctx, "admin@beg.com.br")] == MAX_FALHAS
    assert sum(conferencias.values()) == n  # the 25 refused attempts did the same hash work
    with ctx.db.leitura() as s:
        usuario = s.get(Usuario, ator.usuario_id)
        falhas = s.scalar(select(func.count()).select_from(Auditoria).where(Auditoria.acao == "LOGIN_FALHOU"))
    assert usuario.tentativas_login_falhas == MAX_FALHAS and usuario.bloqueado_ate > agora()
    assert falhas == MAX_FALHAS
    assert _recusa(ctx, "admin@beg.com.br", SENHA) == RECUSA  # locked: the right password is refused too


def test_unknown_locked_and_wrong_get_the_same_answer_after_the_same_work(ctx, conferencias):
    pessoa(ctx, Perfil.APROVADOR, "ana@beg.com.br")
    respostas = {"desconhecido": _recusa(ctx, "ninguem@beg.com.br", SENHA)}
    for _ in range(MAX_FALHAS):
        respostas["senha errada"] = _recusa(ctx, "ana@beg.com.br", "errada-errada-1")
    conferencias.clear()
    respostas["bloqueado"] = _recusa(ctx, "ana@beg.com.br", SENHA)
    assert sum(conferencias.values()) == 1  # a locked account still costs one argon2 verify, like any attempt
    assert set(respostas.values()) == {RECUSA} and "bloquead" not in RECUSA.split(".")[0]

    with ctx.db.transacao() as s:  # the lock ends: the right password gets in and the count starts over
        s.execute(update(Usuario).where(Usuario.email == "ana@beg.com.br").values(bloqueado_ate=agora()))
    assert autenticacao.autenticar(ctx, "ana@beg.com.br", SENHA).email == "ana@beg.com.br"
    with ctx.db.leitura() as s:
        usuario = s.scalar(select(Usuario).where(Usuario.email == "ana@beg.com.br"))
    assert (usuario.tentativas_login_falhas, usuario.bloqueado_ate) == (0, None)


def test_one_address_guessing_many_accounts_is_throttled(ctx, conferencias):
    emails = [f"pessoa{i}@beg.com.br" for i in range(4)]
    for email in emails:
        pessoa(ctx, Perfil.OPERADOR, email)
    atacante, colega = "203.0.113.7", "198.51.100.2"
    assert autenticacao.autenticar(ctx, emails[0], SENHA, ip=atacante).email == emails[0]  # gives its slot back
    for tentativa in range(MAX_TENTATIVAS_ORIGEM):  # spread below every account's own limit
        _recusa(ctx, emails[tentativa % len(emails)] if tentativa % 5 else "inexistente@beg.com.br",
                "errada-errada-1", ip=atacante)
    with ctx.db.leitura() as s:
        assert all(u.bloqueado_ate is None for u in s.scalars(select(Usuario)))
    conferencias.clear()
    assert _recusa(ctx, emails[1], SENHA, ip=atacante) == RECUSA  # right password, throttled address
    assert not conferencias  # a throttled address costs no hash work
    assert autenticacao.autenticar(ctx, emails[1], SENHA, ip=colega).email == emails[1]

    with ctx.db.transacao() as s:  # the windows end
        s.execute(update(TentativaLoginOrigem).values(janela_inicio=agora() - JANELA_ORIGEM))
    assert autenticacao.autenticar(ctx, emails[1], SENHA, ip=atacante).email == emails[1]
    with ctx.db.leitura() as s:  # the attacker's window starts over; the colleague's ended row is purged
        linhas = s.execute(select(TentativaLoginOrigem.ip_origem, TentativaLoginOrigem.tentativas)).all()
    assert linhas == [(atacante, 0)]

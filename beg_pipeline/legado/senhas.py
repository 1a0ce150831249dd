"""Legacy login passwords: pbkdf2-sha512 hashes accepted once at first login, then replaced by argon2id.

The legacy stored ``salt + hash`` as ASCII: ``salt`` is 64 hex characters, ``hash`` is
``hex(pbkdf2_hmac('sha512', password, salt_ascii, 100000))`` (128 hex characters). The import keeps it in
``usuarios.senha_hash`` behind the prefix ``PREFIXO``; argon2 never verifies such a value, so only
``senha_legada_confere`` can, and a successful login re-hashes it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import TYPE_CHECKING

from sqlalchemy import update

from beg_pipeline.db.models import Usuario
from beg_pipeline.seguranca import hash_senha

if TYPE_CHECKING:
    from beg_pipeline.services.contexto import Contexto

PREFIXO = "legado-pbkdf2-sha512$"
PREFIXO_WERKZEUG = "legado-werkzeug$"  # dev SQLite databases: usuarios.password_hash (werkzeug scrypt/pbkdf2)
SEM_SENHA = "!legado-sem-senha"  # never verifies: the user needs a password set by an administrator
ITERACOES = 100_000
_FORMATO = re.compile(r"^[0-9a-f]{64}[0-9a-f]{128}$")
_WERKZEUG = re.compile(r"^(scrypt:(\d+):(\d+):(\d+)|pbkdf2:(sha256|sha512):(\d+))\$[^$]{1,64}\$[0-9a-f]{64,128}$")


def hash_importado(senha_legado: bytes | str | None, hash_werkzeug: str | None = None) -> str:
    """What the import stores in ``senha_hash``: the ``users.password`` pbkdf2 value, else a dev database's werkzeug
    ``usuarios.password_hash``, else a marker that never verifies."""
    if senha_legado is not None:
        texto = bytes(senha_legado).decode("ascii", "replace") if not isinstance(senha_legado, str) else senha_legado
        texto = texto.strip().lower()
        if _FORMATO.fullmatch(texto):
            return PREFIXO + texto
    if hash_werkzeug and _WERKZEUG.fullmatch(hash_werkzeug.strip()):
        return PREFIXO_WERKZEUG + hash_werkzeug.strip()
    return SEM_SENHA


def eh_hash_legado(senha_hash: str | None) -> bool:
    return bool(senha_hash) and senha_hash.startswith((PREFIXO, PREFIXO_WERKZEUG))


def _werkzeug(armazenado: str, senha: str) -> str | None:
    metodo, sal, _ = armazenado.split("$", 2)
    partes = metodo.split(":")
    if partes[0] == "scrypt":
        n, r, p = (int(x) for x in partes[1:4])
        if n > 2**20 or r > 32 or p > 16:  # values read from the legacy: refuse absurd costs
            return None
        return hashlib.scrypt(senha.encode("utf-8"), salt=sal.encode("utf-8"), n=n, r=r, p=p,
                              maxmem=132 * n * r * p).hex()
    iteracoes = int(partes[2])
    if iteracoes > 10_000_000:
        return None
    return hashlib.pbkdf2_hmac(partes[1], senha.encode("utf-8"), sal.encode("utf-8"), iteracoes).hex()


def senha_legada_confere(senha_hash: str, senha: str) -> bool:
    """Recompute the legacy hash (pbkdf2-sha512 of ``users``, or werkzeug's) and compare in constant time."""
    if not eh_hash_legado(senha_hash):
        return False
    if senha_hash.startswith(PREFIXO_WERKZEUG):
        armazenado = senha_hash[len(PREFIXO_WERKZEUG):]
        calculado, esperado = _werkzeug(armazenado, senha), armazenado.rsplit("$", 1)[1]
        return calculado is not None and hmac.compare_digest(calculado, esperado)
    armazenado = senha_hash[len(PREFIXO):]
    sal, esperado = armazenado[:64], armazenado[64:]
    calculado = hashlib.pbkdf2_hmac("sha512", senha.encode("utf-8"), sal.encode("ascii"), ITERACOES).hex()
    return hmac.compare_digest(calculado, esperado)


def migrar_no_login(ctx: Contexto, usuario: Usuario, senha: str) -> bool:
    """Accept a legacy password once: when it matches, store its argon2id hash in its place (only if nobody changed
    the hash meanwhile). Returns whether the password matched."""
    if not senha_legada_confere(usuario.senha_hash, senha):
        return False
    with ctx.db.transacao() as s:
        s.execute(update(Usuario).where(Usuario.id == usuario.id, Usuario.senha_hash == usuario.senha_hash)
                  .values(senha_hash=hash_senha(senha)))
    return True

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
SEM_SENHA = "!legado-sem-senha"  # never verifies: the user needs a password set by an administrator
ITERACOES = 100_000
_FORMATO = re.compile(r"^[0-9a-f]{64}[0-9a-f]{128}$")


def hash_importado(senha_legado: bytes | str | None) -> str:
    """What the import stores in ``senha_hash`` for a legacy ``users.password`` value."""
    if senha_legado is None:
        return SEM_SENHA
    texto = bytes(senha_legado).decode("ascii", "replace") if not isinstance(senha_legado, str) else senha_legado
    texto = texto.strip().lower()
    return PREFIXO + texto if _FORMATO.fullmatch(texto) else SEM_SENHA


def eh_hash_legado(senha_hash: str | None) -> bool:
    return bool(senha_hash) and senha_hash.startswith(PREFIXO)


def senha_legada_confere(senha_hash: str, senha: str) -> bool:
    """Recompute the legacy pbkdf2-sha512 hash and compare in constant time."""
    if not eh_hash_legado(senha_hash):
        return False
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

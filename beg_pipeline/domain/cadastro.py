"""Registration rules for carriers and client accounts: valid carrier codes, accounts the robot cannot download."""

from __future__ import annotations

import re
import unicodedata

TAMANHO_CODIGO = 30  # operadoras.codigo is VARCHAR(30)
ROTULO_SEM_CREDENCIAIS = "sem credenciais — upload manual"

# Letters and digits, with '-' or '_' only inside: the code goes into robot URLs and object keys.
_CODIGO = re.compile(r"[A-Z0-9](?:[A-Z0-9_-]*[A-Z0-9])?")


def normalizar_codigo_operadora(texto: str) -> str:
    """The carrier code in upper case, without accents or spaces (``Digital Net`` -> ``DIGITALNET``).

    ``ValueError`` (message in Portuguese, for people) when the result is empty, too long, or holds anything
    other than letters, digits, ``-`` and ``_`` (``../../etc``, ``OI/VIVO``).
    """
    sem_acentos = "".join(c for c in unicodedata.normalize("NFKD", texto or "") if not unicodedata.combining(c))
    codigo = "".join(sem_acentos.upper().split())
    if not codigo:
        raise ValueError("o código da operadora está vazio; use o código da operadora (ex.: OI, VIVO)")
    if len(codigo) > TAMANHO_CODIGO or not _CODIGO.fullmatch(codigo):
        eco = codigo if len(codigo) <= 40 else codigo[:40] + "…"
        raise ValueError(f"{eco!r} não é um código de operadora válido: use só letras e números, até "
                         f"{TAMANHO_CODIGO} caracteres (ex.: OI, VIVO, EMBRATEL)")
    return codigo


def sem_credenciais(possui_rpa: bool, login_portal: str | None, tem_senha: bool) -> bool:
    """An account on a carrier with a robot but without portal login and password: the robot cannot download its
    invoices, so it is never submitted and waits for a manual upload or for credentials."""
    return bool(possui_rpa) and not (login_portal and login_portal.strip() and tem_senha)

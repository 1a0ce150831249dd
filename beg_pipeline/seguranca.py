"""Secrets at rest: Fernet keys for portal passwords, argon2id for app users, the robot API token."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from beg_pipeline.settings import ConfiguracaoInvalida, Settings

_KEY_FILE = "secret.key"
_TOKEN_FILE = "rpa.token"
_hasher = PasswordHasher()  # argon2id with the library's current parameters


class SegredoIlegivel(Exception):
    """A stored secret cannot be decrypted with any configured key."""


def _read_or_create(path: Path, make: callable) -> str:
    """Read a secret file, creating it with mode 0600 when missing."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(make())
    return path.read_text().strip()


def chaves_fernet(settings: Settings) -> list[str]:
    """The configured keys, newest first: ``BEG_SECRET_KEY`` (comma-separated) or the data dir's key file."""
    if settings.secret_key is not None:
        raw = settings.secret_key.get_secret_value()
    else:
        raw = _read_or_create(settings.data_dir / _KEY_FILE, lambda: Fernet.generate_key().decode())
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        raise ConfiguracaoInvalida("BEG_SECRET_KEY: vazio; gere uma chave com `beg chaves gerar`")
    return keys


class Cofre:
    """Encrypts and decrypts portal passwords; the first key encrypts, every key decrypts."""

    def __init__(self, keys: list[str]):
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except (ValueError, TypeError):
            raise ConfiguracaoInvalida(
                "BEG_SECRET_KEY: cada chave deve ser uma chave Fernet (44 caracteres base64); "
                "gere com `beg chaves gerar`"
            ) from None

    @classmethod
    def from_settings(cls, settings: Settings) -> Cofre:
        return cls(chaves_fernet(settings))

    def cifrar(self, texto: str) -> str:
        return self._fernet.encrypt(texto.encode()).decode()

    def decifrar(self, cifrado: str) -> str:
        try:
            return self._fernet.decrypt(cifrado.encode()).decode()
        except InvalidToken:
            raise SegredoIlegivel(
                "senha cifrada com uma chave que não está em BEG_SECRET_KEY; inclua a chave antiga na lista"
            ) from None

    def recifrar(self, cifrado: str) -> str:
        """Re-encrypt with the newest key (for ``beg chaves rotacionar``)."""
        try:
            return self._fernet.rotate(cifrado.encode()).decode()
        except InvalidToken:
            raise SegredoIlegivel("senha cifrada com uma chave desconhecida; nada foi alterado") from None

    def __repr__(self) -> str:
        return "Cofre(<chaves ocultas>)"


def gerar_chave() -> str:
    return Fernet.generate_key().decode()


def hash_senha(senha: str) -> str:
    return _hasher.hash(senha)


def senha_confere(hash_armazenado: str, senha: str) -> bool:
    try:
        return _hasher.verify(hash_armazenado, senha)
    except (VerificationError, InvalidHashError):
        return False


def rpa_token(settings: Settings) -> str:
    """``BEG_RPA_TOKEN``, or (for the local simulator) a random token kept in the data dir."""
    if settings.rpa_token is not None:
        return settings.rpa_token.get_secret_value()
    return _read_or_create(settings.data_dir / _TOKEN_FILE, lambda: secrets.token_urlsafe(32))

"""What every session shares: the cached Contexto (database engine, vault) and object store, and today's date."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import streamlit as st
from pydantic import SecretStr

from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import Settings, load_settings
from beg_pipeline.storage import ObjectStore, object_store_from_settings


def _chave(settings: Settings) -> str:
    """A fingerprint of the configuration: one cached context per distinct configuration (tests change it)."""
    valores = {k: v.get_secret_value() if isinstance(v, SecretStr) else str(v)
               for k, v in settings.model_dump().items()}
    return hashlib.sha256(json.dumps(valores, sort_keys=True).encode()).hexdigest()


@st.cache_resource(show_spinner=False, max_entries=4, on_release=lambda ctx: ctx.db.dispose())
def _contexto(_settings: Settings, chave: str) -> Contexto:
    return Contexto(_settings)


@st.cache_resource(show_spinner=False, max_entries=4)
def _store(_settings: Settings, chave: str) -> ObjectStore:
    return object_store_from_settings(_settings)


def contexto() -> Contexto:
    """The Contexto (database engine, vault) shared by every session; never a Session."""
    settings = load_settings()
    return _contexto(settings, _chave(settings))


def store() -> ObjectStore:
    settings = load_settings()
    return _store(settings, _chave(settings))


def hoje() -> dt.date:
    return dt.datetime.now(contexto().settings.tz).date()

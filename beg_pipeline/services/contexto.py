"""What every service needs: settings, the database and the secret vault."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import cached_property

from beg_pipeline.db.engine import Database
from beg_pipeline.seguranca import Cofre
from beg_pipeline.settings import Settings, load_settings

IdEntidade = uuid.UUID | str
"""A row id as services accept it: a UUID, or its text (from a page, a CLI argument or a Dagster tag)."""


class NaoEncontrado(LookupError):
    """The record asked for does not exist."""


class RegraViolada(Exception):
    """A business rule refuses the action (the message says which and why)."""


@dataclass
class Contexto:
    settings: Settings
    db: Database = field(default=None)  # type: ignore[assignment]

    def __post_init__(self):
        if self.db is None:
            self.db = Database(self.settings.resolved_database_url)

    @classmethod
    def padrao(cls) -> Contexto:
        return cls(load_settings())

    @cached_property
    def cofre(self) -> Cofre:
        return Cofre.from_settings(self.settings)

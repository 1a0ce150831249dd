"""Where the legacy's PDFs are read from: a copy of bucket ``beg`` as a folder (``DIR/<object key>``)."""

from __future__ import annotations

from pathlib import Path


class ChavePdfInvalida(ValueError):
    """A legacy object key that would leave the bucket folder."""


class OrigemPasta:
    """``mc mirror beg/ DIR``: the file ``DIR/<key>`` is the object ``<key>``."""

    def __init__(self, raiz: Path):
        self.raiz = Path(raiz).resolve()
        if not self.raiz.is_dir():
            raise ValueError(f"--pdfs {raiz}: a pasta não existe (use a cópia do bucket beg, `mc mirror beg/ PASTA`)")

    def _arquivo(self, chave: str) -> Path:
        arquivo = (self.raiz / chave).resolve()
        if "\x00" in chave or not arquivo.is_relative_to(self.raiz):
            raise ChavePdfInvalida(f"chave {chave!r} sai da pasta do bucket")
        return arquivo

    def tamanho(self, chave: str) -> int | None:
        """The object's size, or None when it is missing."""
        arquivo = self._arquivo(chave)
        return arquivo.stat().st_size if arquivo.is_file() else None

    def ler(self, chave: str) -> bytes:
        return self._arquivo(chave).read_bytes()

    def __repr__(self) -> str:
        return f"OrigemPasta({str(self.raiz)!r})"

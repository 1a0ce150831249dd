"""Sizes the pages share."""


def altura(linhas: int) -> int:
    """Height in pixels of a table that shows all its ``linhas`` rows (no inner scroll bar)."""
    return 35 * (linhas + 1) + 3

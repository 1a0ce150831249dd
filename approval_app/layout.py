"""What the pages share for showing things: table sizes and untrusted text made literal for Markdown elements."""

import re

# Markdown (CommonMark, GFM, Streamlit's :color[...] directives and $math$) characters that can start syntax
_SINTAXE = re.compile(r"([\\`*_\[\]<>#~|$&!])")
# GFM turns bare http(s)://, www. and e-mail addresses into links *after* parsing, so a backslash does not stop it:
# an invisible word joiner (U+2060) after the scheme, the "www" or the "@" does
_AUTOLINK = re.compile(r"(?i)(https?(?=:)|www(?=\.)|@)")
_INICIO_DE_BLOCO = re.compile(r"(?m)^([ \t]*(?:\d+)?)([-+=.)])")  # list items, setext underlines


def altura(linhas: int) -> int:
    """Height in pixels of a table that shows all its ``linhas`` rows (no inner scroll bar)."""
    return 35 * (linhas + 1) + 3


def literal(valor: object) -> str:
    """``valor`` as text for an element that renders Markdown (markdown, caption, title, info, error, toast…):
    client names, reasons, robot errors, headers and e-mails show as typed, never as links, images or formatting."""
    texto = _SINTAXE.sub(r"\\\1", str(valor))
    texto = _INICIO_DE_BLOCO.sub(r"\1\\\2", texto)
    return _AUTOLINK.sub("\\1\u2060", texto)

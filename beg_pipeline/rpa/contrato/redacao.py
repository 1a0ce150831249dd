"""Masking secrets (token, portal passwords) in whatever the robot API echoes."""

from __future__ import annotations

import re
from typing import Any

REDIGIDO = "***"
MIN_SUBCADEIA = 8  # a secret at least this long is masked even inside a longer word; shorter ones only whole


def redigir(texto: str, segredos: Any) -> str:
    """Replace each secret (token, portal passwords) by ``***`` where it stands as a whole value: not preceded or
    followed by a letter, digit, ``-``, ``_`` or ``.``. Masking a short secret inside a longer value (the password
    ``0000`` in the filter ``20688223494-0000_02``) would reveal the secret and spoil the value; a secret of
    ``MIN_SUBCADEIA`` or more characters is also masked inside longer words (a token glued to other text)."""
    for segredo in sorted((s for s in segredos if s), key=len, reverse=True):
        if len(segredo) >= MIN_SUBCADEIA:
            texto = texto.replace(segredo, REDIGIDO)
        else:
            texto = re.sub(rf"(?<![\w.-]){re.escape(segredo)}(?![\w.-])", REDIGIDO, texto)
    return texto

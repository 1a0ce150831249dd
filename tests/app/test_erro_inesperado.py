"""An unexpected error in a page (issue 14, finding 7): a Portuguese message with a reference, the detail only in
the server log, never a traceback, SQL or server path in the browser."""

from __future__ import annotations

import logging
import re

import streamlit as st
from sqlalchemy import text

from beg_pipeline.domain.perfis import Perfil
from tests.app_fixtures import entrar, mensagens, textos
from tests.builders import pessoa


def test_a_failing_page_shows_a_portuguese_message_and_logs_the_detail(ctx, app_env, caplog):
    pessoa(ctx, Perfil.OPERADOR, "op@beg.com.br")
    at = entrar("op@beg.com.br")
    assert at.title[0].value == "Processos" and not mensagens(at, "error")
    with ctx.db.transacao() as s:  # the page's query now fails inside the service, as a broken database would
        s.execute(text("ALTER TABLE clientes RENAME TO clientes_fora"))

    with caplog.at_level(logging.ERROR, logger="approval_app"):
        at.run()
    assert not at.exception
    [erro] = mensagens(at, "error")
    referencia = re.search(r"referência \*\*(\w+)\*\*", erro).group(1)
    assert erro.startswith("Ocorreu um erro inesperado.")
    pagina = textos(at) + "".join(str(e.value) for e in at.exception)
    assert not re.search(r"Traceback|SELECT|clientes|\.py|/work|/tmp|sqlalchemy|psycopg", pagina, re.I)
    [registro] = [r for r in caplog.records if r.name == "approval_app"]
    assert referencia in registro.getMessage() and "clientes" in str(registro.exc_info[1])
    assert st.get_option("client.showErrorDetails") == "none"

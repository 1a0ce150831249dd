"""The approval app served as ASGI (``streamlit run approval_app/servidor.py``): the Streamlit pages plus two small
routes that set and clear the HttpOnly session cookie, which a Streamlit page cannot do (see services/sessoes.py)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from approval_app import recursos
from beg_pipeline.services import sessoes


def _destino(proximo: str | None) -> str:
    """Only a path of this site (never ``//outro`` or ``https://…``): no open redirect."""
    return proximo if proximo and proximo.startswith("/") and not proximo.startswith("//") else "/"


def abrir(request: Request) -> RedirectResponse:
    """``/sessao/abrir?ticket=…&proximo=/pagina``: a one-time ticket becomes the session cookie."""
    resposta = RedirectResponse(_destino(request.query_params.get("proximo")), status_code=303)
    token = sessoes.trocar_ticket(recursos.contexto(), request.query_params.get("ticket", ""))
    if token:
        resposta.set_cookie(sessoes.COOKIE, token, max_age=int(sessoes.VALIDADE_SESSAO.total_seconds()), path="/",
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")
    resposta.headers["Cache-Control"] = "no-store"
    resposta.headers["Referrer-Policy"] = "no-referrer"  # the ticket never leaves in a Referer header
    return resposta


def sair(request: Request) -> RedirectResponse:
    """``/sessao/sair``: revokes the cookie's session and deletes the cookie."""
    sessoes.revogar(recursos.contexto(), request.cookies.get(sessoes.COOKIE))
    resposta = RedirectResponse("/", status_code=303)
    resposta.delete_cookie(sessoes.COOKIE, path="/", httponly=True, samesite="strict")
    resposta.headers["Cache-Control"] = "no-store"
    return resposta


app = st.App(str(Path(__file__).with_name("streamlit_app.py")),
             routes=[Route("/sessao/abrir", abrir), Route("/sessao/sair", sair)])

"""A hostile or broken robot (issue 14, finding 2 and the masking finding), over real HTTP on 127.0.0.1.

The simulator is the robot API; a second tiny ``http.server`` on another port is the foreign host its answers point
to. Checked: the token reaches only the API's origin; files come only from allowed origins, without cross-origin
redirects, within a byte cap and an overall deadline (a dripping body closes the attempt); JSON answers are capped;
a refused body never reaches ``detalhes_erro``; a robot may name only keys under its own folder; the PDF's amount
wins over the robot's, flagged; a short portal password is masked only where it stands whole.
"""

from __future__ import annotations

import datetime as dt
import http.server
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from beg_pipeline.db.models import Execucao
from beg_pipeline.domain.execucao import StatusExecucao
from beg_pipeline.domain.processo import StatusProcesso
from beg_pipeline.rpa.contrato import (
    ArquivoInvalido,
    RegrasArquivos,
    RespostaInvalida,
    RpaClient,
    chave_do_robo,
    ler_arquivo_fatura,
    redigir,
)
from beg_pipeline.rpa.simulador import Simulador, dados_da_fatura
from beg_pipeline.services import processos, robos
from beg_pipeline.services.contexto import Contexto
from beg_pipeline.settings import ConfiguracaoInvalida, load_settings
from beg_pipeline.storage.factory import object_store_from_settings
from beg_pipeline.storage.local import LocalObjectStore
from tests.builders import mes_com_processos
from tests.dominio.test_validacao_pdf import FATURA
from tests.pipeline_fixtures import RAPIDO

TOKEN = "tok-HOSTIL-7c1e55a0b9"
MIB = 1024 * 1024
CORPO_SECRETO = b"<html>CORPO-DO-SERVIDOR-ESTRANHO</html>"


# --------------------------------------------------------------------------- the foreign host


class Estranho(http.server.ThreadingHTTPServer):
    """A host the robot's answers may point to. ``rotas[path](handler)`` answers; every request's headers are kept,
    and ``caiu[path]`` is set when the client dropped the connection mid-body."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.origem = f"http://127.0.0.1:{self.server_address[1]}"
        self.rotas: dict[str, Callable[[_Handler], None]] = {}
        self.vistos: list[tuple[str, dict[str, str]]] = []
        self.caiu: dict[str, threading.Event] = {}
        self.enviados: dict[str, int] = {}

    def rota(self, caminho: str, responder: Callable[[_Handler], None]) -> str:
        self.rotas[caminho] = responder
        self.caiu[caminho] = threading.Event()
        return f"{self.origem}{caminho}"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Estranho

    def do_GET(self):
        caminho = self.path.split("?")[0]
        self.server.vistos.append((caminho, dict(self.headers)))
        responder = self.server.rotas.get(caminho)
        if responder is None:
            self.send_error(404)
            return
        try:
            responder(self)
        except (BrokenPipeError, ConnectionResetError):
            self.server.caiu[caminho].set()
            self.close_connection = True

    def log_message(self, *args):
        pass

    def responder(self, codigo: int, corpo: bytes, tipo: str = "application/pdf", **cabecalhos: str) -> None:
        self.send_response(codigo)
        self.send_header("Content-Type", tipo)
        self.send_header("Content-Length", str(len(corpo)))
        for nome, valor in cabecalhos.items():
            self.send_header(nome, valor)
        self.end_headers()
        self.wfile.write(corpo)

    def fluxo(self, blocos: Iterator[bytes], tamanho: int | None = None, tipo: str = "application/pdf") -> None:
        """Headers, then ``blocos`` one by one (close-delimited without ``tamanho``) until the client drops."""
        caminho = self.path.split("?")[0]
        self.send_response(200)
        self.send_header("Content-Type", tipo)
        if tamanho is None:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(tamanho))
        self.end_headers()
        self.server.enviados[caminho] = 0
        for bloco in blocos:
            self.wfile.write(bloco)
            self.wfile.flush()
            self.server.enviados[caminho] += len(bloco)


def _goteja(parar: threading.Event) -> Iterator[bytes]:
    """``%PDF-`` and then one byte every 0.1 s, until the client drops or the test ends."""
    yield b"%PDF-1.7\n"
    while not parar.wait(0.1):
        yield b"0"


def _enorme(total: int) -> Iterator[bytes]:
    bloco = b"0" * (64 * 1024)
    yield b"%PDF-1.7\n"
    for _ in range(total // len(bloco)):
        yield bloco


def _json_enorme(total: int) -> Iterator[bytes]:
    bloco = b" " * (64 * 1024)
    yield b"["
    for _ in range(total // len(bloco)):
        yield bloco
    yield b"]"


@pytest.fixture
def estranho() -> Iterator[Estranho]:
    servidor = Estranho()
    thread = threading.Thread(target=servidor.serve_forever, daemon=True)
    thread.start()
    yield servidor
    servidor.shutdown()
    servidor.server_close()


@pytest.fixture
def parar() -> Iterator[threading.Event]:
    evento = threading.Event()
    yield evento
    evento.set()


@pytest.fixture
def sim(tmp_path) -> Iterator[Simulador]:
    with Simulador(RAPIDO, token=TOKEN, object_store=LocalObjectStore(tmp_path / "objetos"), bucket="beg") as s:
        yield s


def _cliente(base_url: str, **regras) -> RpaClient:
    return RpaClient(base_url, TOKEN, timeout_s=5, max_retries=1, backoff_base_s=0.001, arquivos=RegrasArquivos(
        **regras))


# --------------------------------------------------------------------------- token and origins


def test_token_goes_only_to_the_api_origin(sim, estranho):
    url = estranho.rota("/fatura.pdf", lambda h: h.responder(200, FATURA))
    with _cliente(sim.base_url, origens=frozenset({estranho.origem})) as client:
        assert client.jobs() == []  # the API itself still gets the token
        assert client.baixar_arquivo(url) == FATURA
    [(caminho, cabecalhos)] = estranho.vistos
    assert caminho == "/fatura.pdf"
    assert "Authorization" not in cabecalhos and TOKEN not in str(cabecalhos)


def test_another_port_of_the_api_host_is_another_origin(sim, estranho):
    """Same host 127.0.0.1, another port: not the API, not allowed, not even asked."""
    url = estranho.rota("/fatura.pdf", lambda h: h.responder(200, FATURA))
    with _cliente(sim.base_url) as client, pytest.raises(ArquivoInvalido) as recusa:
        client.baixar_arquivo(url)
    assert estranho.origem in str(recusa.value) and "BEG_RPA_ARQUIVOS_ORIGENS" in str(recusa.value)
    assert estranho.vistos == []


def test_redirect_to_another_origin_is_refused(sim, estranho):
    outro = Estranho()
    threading.Thread(target=outro.serve_forever, daemon=True).start()
    try:
        alvo = outro.rota("/fatura.pdf", lambda h: h.responder(200, FATURA))
        url = estranho.rota("/vai", lambda h: h.responder(302, b"", Location=f"{alvo}?assinatura=segredo"))
        local = estranho.rota("/aqui", lambda h: h.responder(302, b"", Location="/fatura.pdf"))
        estranho.rota("/fatura.pdf", lambda h: h.responder(200, FATURA))
        with _cliente(sim.base_url, origens=frozenset({estranho.origem, outro.origem})) as client:
            with pytest.raises(ArquivoInvalido, match="redirecionamento") as recusa:
                client.baixar_arquivo(url)
            assert client.baixar_arquivo(local) == FATURA  # within the same origin: followed
        assert outro.vistos == []  # both origins are allowed, and still no cross-origin hop
        assert "assinatura" not in str(recusa.value)
    finally:
        outro.shutdown()
        outro.server_close()


def test_s3_endpoint_urls_only_for_the_robots_keys(sim, estranho):
    """The bucket's endpoint is an allowed origin, but only for ``/<bucket>/<robot key>``, never the product's."""
    robo = estranho.rota("/beg/VIVO/2026-11/0001.pdf", lambda h: h.responder(200, FATURA))
    produto = estranho.rota("/beg/faturas/2026-11/VIVO/p-0123456789ab.pdf", lambda h: h.responder(200, FATURA))
    with _cliente(sim.base_url, origem_s3=estranho.origem, bucket="beg") as client:
        assert client.baixar_arquivo(f"{robo}?X-Amz-Signature=abc") == FATURA
        with pytest.raises(ArquivoInvalido, match="guardada pelo produto"):
            client.baixar_arquivo(produto)
    assert [c for c, _ in estranho.vistos] == ["/beg/VIVO/2026-11/0001.pdf"]
    assert all("Authorization" not in cabecalhos for _, cabecalhos in estranho.vistos)


# --------------------------------------------------------------------------- caps and deadlines


def test_dripping_body_ends_at_the_deadline_and_drops_the_connection(sim, estranho, parar):
    url = estranho.rota("/goteja.pdf", lambda h: h.fluxo(_goteja(parar), tamanho=10 * MIB))
    with _cliente(sim.base_url, origens=frozenset({estranho.origem}), prazo_s=1) as client, \
            pytest.raises(ArquivoInvalido, match="não chegou inteira em 1 s"):
        client.baixar_arquivo(url)
    assert estranho.caiu["/goteja.pdf"].wait(10)  # the server's next byte found the connection closed
    assert len(estranho.vistos) == 1  # not retried


def test_huge_body_is_cut_at_the_cap(sim, estranho):
    """500 MB of "PDF" without Content-Length: read up to the cap (1 MB), then dropped."""
    url = estranho.rota("/enorme.pdf", lambda h: h.fluxo(_enorme(500 * MIB)))
    with _cliente(sim.base_url, origens=frozenset({estranho.origem}), max_bytes=MIB) as client:
        tracemalloc.start()
        try:
            with pytest.raises(ArquivoInvalido, match="excede o limite de 1 MB"):
                client.baixar_arquivo(url)
            _, pico = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert estranho.caiu["/enorme.pdf"].wait(10)
    assert pico < 3 * MIB + 64 * 1024  # the body kept (≤ cap + one block) and its copy, not 500 MB
    assert estranho.enviados["/enorme.pdf"] < 100 * MIB  # what the socket buffers took before the drop


def test_declared_oversize_is_refused_before_reading(sim, estranho):
    url = estranho.rota("/declarado.pdf", lambda h: h.fluxo(_enorme(500 * MIB), tamanho=500 * MIB + 9))
    with _cliente(sim.base_url, origens=frozenset({estranho.origem}), max_bytes=MIB) as client, \
            pytest.raises(ArquivoInvalido, match=f"{500 * MIB + 9} bytes excede o limite de 1 MB"):
        client.baixar_arquivo(url)
    assert estranho.caiu["/declarado.pdf"].wait(10)


@pytest.mark.parametrize("caminho", ["/status/job-1", "/jobs", "/jobs/job-1/logs"])
def test_huge_json_answer_is_refused(estranho, caminho):
    """The foreign server plays the robot API: a 100 MB status, job list or log is refused at the JSON cap."""
    estranho.rota(caminho, lambda h: h.fluxo(_json_enorme(100 * MIB), tipo="application/json"))
    with _cliente(estranho.origem) as client, pytest.raises(RespostaInvalida, match="excede o limite de 8 MB"):
        {"/status/job-1": lambda: client.status("job-1"), "/jobs": client.jobs,
         "/jobs/job-1/logs": lambda: client.logs("job-1")}[caminho]()
    assert len(estranho.vistos) == 1  # refused, not retried


def test_refused_body_never_in_the_error(sim, estranho, tmp_path):
    nao_pdf = estranho.rota("/pagina.pdf", lambda h: h.responder(200, CORPO_SECRETO, "text/html"))
    erro = estranho.rota("/erro.pdf", lambda h: h.responder(403, CORPO_SECRETO, "text/html"))
    mensagens = []
    with _cliente(sim.base_url, origens=frozenset({estranho.origem})) as client:
        for url in (nao_pdf, erro):
            with pytest.raises(ArquivoInvalido) as recusa:
                ler_arquivo_fatura(url, LocalObjectStore(tmp_path), client, "beg")
            mensagens.append(str(recusa.value))
    assert all("CORPO" not in m and "<html" not in m for m in mensagens), mensagens
    assert "parece uma página HTML" in mensagens[0] and "HTTP 403" in mensagens[1]


# --------------------------------------------------------------------------- keys a robot may name


@pytest.mark.parametrize(("chave", "prefixo", "operadora"), [
    ("faturas/2026-11/VIVO/6f1c-0123456789ab.pdf", "", None),  # another client's stored invoice
    ("faturas/2026-11/VIVO/6f1c-0123456789ab.pdf", "faturas/", None),
    ("VIVO/../faturas/2026-11/VIVO/x.pdf", "", None),
    ("VIVO/./x.pdf", "", None),
    ("VIVO//x.pdf", "", None),
    ("/VIVO/x.pdf", "", None),
    ("VIVO\\..\\x.pdf", "", None),
    ("backups/2026-11-02/beg.db", "", None),
    ("relatorios/2026-11/relatorio_mensal.csv", "", None),
    ("x.pdf", "", None),
    ("vivo/2026-11/x.pdf", "", None),
    ("VIVO/2026-11/x.pdf", "robo/", None),  # a prefix is configured: nothing outside it
    ("OI/2026-11/x.pdf", "", "VIVO"),  # another carrier's robot folder
])
def test_robot_keys_outside_its_folder_are_refused(chave, prefixo, operadora):
    with pytest.raises(ArquivoInvalido):
        chave_do_robo(chave, prefixo, operadora)


@pytest.mark.parametrize(("chave", "prefixo"), [("VIVO/2026-11/0001.pdf", ""), ("robo/OI/2026-11/a.b-c_d.pdf", "robo/"),
                                                ("DIGITALNET/2026-11/sub/x.pdf", "")])
def test_robot_keys_in_its_folder_are_accepted(chave, prefixo):
    assert chave_do_robo(chave, prefixo, chave.removeprefix(prefixo).split("/")[0]) == chave


@pytest.mark.parametrize(("variavel", "valor"), [
    ("BEG_RPA_ARQUIVOS_ORIGENS", "ftp://arquivos"), ("BEG_RPA_ARQUIVOS_ORIGENS", "http://cdn/pasta"),
    ("BEG_RPA_ARQUIVOS_ORIGENS", "http://cdn:porta"), ("BEG_RPA_PREFIXO_CHAVES", "robo"),
    ("BEG_RPA_PREFIXO_CHAVES", "faturas/"), ("BEG_RPA_PREFIXO_CHAVES", "../"),
])
def test_bad_file_settings_name_the_variable(monkeypatch, tmp_path, variavel, valor):
    monkeypatch.setenv(variavel, valor)
    with pytest.raises(ConfiguracaoInvalida, match=variavel):
        load_settings(data_dir=tmp_path, _env_file=None)


# --------------------------------------------------------------------------- through the download service


class RoboHostil(Simulador):
    """The simulator, but a completed download's result is rewritten by ``alterar(job, result)``."""

    alterar: Callable[[object, dict], dict] = staticmethod(lambda job, result: result)

    def _resultado_download(self, job):
        resultado, erro = super()._resultado_download(job)
        return (None if resultado is None else self.alterar(job, resultado)), erro


def _contexto(ctx, **mudancas) -> Contexto:
    base = {"max_tentativas": 1, "rpa_poll_interval_s": 0.02, "rpa_retry_backoff_s": 0.0}
    return Contexto(ctx.settings.model_copy(update={**base, **mudancas}), db=ctx.db)


def _baixar(ctx: Contexto, sim: Simulador) -> robos.ResumoRobos:
    settings = ctx.settings.model_copy(update={"rpa_url": sim.base_url})
    with RpaClient.from_settings(settings, max_retries=1, backoff_base_s=0.001) as client:
        return robos.baixar_faturas(ctx, object_store_from_settings(settings), client, "11/2026",
                                    hoje=dt.date(2026, 11, 20), log=lambda _: None)


def _execucoes(ctx, processo_id) -> list[Execucao]:
    with ctx.db.leitura() as s:
        return list(s.scalars(select(Execucao).where(Execucao.processo_id == processo_id)))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the service's writes are tested elsewhere
def test_dripping_invoice_closes_the_attempt(ctx, estranho, parar):
    url = estranho.rota("/goteja.pdf", lambda h: h.fluxo(_goteja(parar)))
    ctx = _contexto(ctx, rpa_arquivos_origens=estranho.origem, rpa_arquivo_prazo_s=1.0)
    [p, *_] = mes_com_processos(ctx, n_clientes=1)
    with RoboHostil(RAPIDO, ctx.settings) as sim:
        sim.alterar = lambda job, result: {**result, "arquivo_fatura": url}
        resumo = _baixar(ctx, sim)
    [execucao] = _execucoes(ctx, p.id)
    assert resumo.concluidos == 0 and execucao.status_execucao == StatusExecucao.FALHOU.value
    assert "não chegou inteira em 1 s" in execucao.detalhes_erro["mensagem"]
    assert estranho.caiu["/goteja.pdf"].wait(10)
    assert processos.obter_processo(ctx, p.id).status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value


@pytest.mark.parametrize("forma", ["chave", "s3"])
def test_key_of_another_clients_invoice_is_refused(ctx, forma):
    """Run 1: A's invoice is stored (B's answer escapes with ``..``); run 2: B's robot names A's stored invoice."""
    ctx = _contexto(ctx)
    a, b = mes_com_processos(ctx, n_clientes=2)
    arquivo_de_b = {"chave": "VIVO/../segredo.pdf"}

    def apontar(job, result):
        if job.pedido.processo_id == str(a.id):
            return result
        return {**result, "arquivo_fatura": arquivo_de_b["chave"] if forma == "chave"
                else f"s3://beg/{arquivo_de_b['chave']}"}

    with RoboHostil(RAPIDO, ctx.settings) as sim:
        sim.alterar = apontar
        assert _baixar(ctx, sim).concluidos == 1
        fatura_de_a = processos.obter_processo(ctx, a.id).fatura_s3_key
        assert fatura_de_a.startswith("faturas/")
        arquivo_de_b["chave"] = fatura_de_a
        assert _baixar(ctx, sim).concluidos == 0
    escapou, roubou = sorted(_execucoes(ctx, b.id), key=lambda e: e.numero_tentativa)
    assert escapou.status_execucao == roubou.status_execucao == StatusExecucao.FALHOU.value
    assert "'..'" in escapou.detalhes_erro["mensagem"]
    assert "guardada pelo produto" in roubou.detalhes_erro["mensagem"]
    pb = processos.obter_processo(ctx, b.id)
    assert pb.status_processo == StatusProcesso.AGUARDANDO_DOWNLOAD.value and pb.fatura_s3_key is None
    assert processos.obter_processo(ctx, a.id).fatura_s3_key == fatura_de_a


def test_robot_amount_differing_from_the_pdf_is_flagged_and_the_pdf_wins(ctx):
    ctx = _contexto(ctx)
    [p] = mes_com_processos(ctx, n_clientes=1)
    with RoboHostil(RAPIDO, ctx.settings) as sim:
        sim.alterar = lambda job, result: {**result, "valor_fatura": "10,00"}
        assert _baixar(ctx, sim).concluidos == 1
        [job] = sim.jobs.values()
    processo = processos.obter_processo(ctx, p.id)
    valor_pdf = dados_da_fatura(job.operadora, job.pedido.cnpj, job.pedido.filtro).valor
    assert valor_pdf != Decimal("10.00") and Decimal(processo.valor_fatura) == valor_pdf
    [execucao] = _execucoes(ctx, p.id)
    assert execucao.resultado_saida["sinais"] == [robos.SINAL_VALOR_DIVERGENTE]
    assert (execucao.resultado_saida["valor_robo"], Decimal(execucao.resultado_saida["valor_pdf"])) == (
        "10.00", valor_pdf)


def test_same_amount_is_not_flagged(ctx):
    ctx = _contexto(ctx)
    [p] = mes_com_processos(ctx, n_clientes=1)
    with RoboHostil(RAPIDO, ctx.settings) as sim:
        assert _baixar(ctx, sim).concluidos == 1
    [execucao] = _execucoes(ctx, p.id)
    assert execucao.resultado_saida["sinais"] == []
    assert Decimal(execucao.resultado_saida["valor_robo"]) == Decimal(execucao.resultado_saida["valor_pdf"])


# --------------------------------------------------------------------------- masking


def test_short_password_is_masked_only_where_it_stands_whole():
    linha = "Buscando fatura 20688223494-0000_02 com senha 0000 (0000)."
    assert redigir(linha, ["0000"]) == "Buscando fatura 20688223494-0000_02 com senha *** (***)."


def test_long_secret_is_masked_even_glued_to_other_text():
    assert redigir(f"Bearer{TOKEN}x e {TOKEN}", [TOKEN]) == "Bearer***x e ***"


def test_client_masks_a_short_password_without_revealing_it(sim):
    with RpaClient(sim.base_url, TOKEN) as client:
        client.registrar_segredo("0000")
        texto = client.redigir("login EOL1 filtro 20688223494-0000_02 senha=0000")
    assert texto == "login EOL1 filtro 20688223494-0000_02 senha=***"

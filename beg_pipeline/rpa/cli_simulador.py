"""``beg simulador``: serve the local robot simulator until Ctrl-C."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import click
from pydantic import ValidationError

from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
from beg_pipeline.rpa.simulador.config import PERFIS, aplicar_perfil
from beg_pipeline.settings import ConfiguracaoInvalida, load_settings

_taxa = click.FloatRange(0.0, 1.0)


@click.command("simulador")
@click.option("--perfil", type=click.Choice(sorted(PERFIS)), default=None,
              help="tranquilo: tudo dá certo; realista: senhas erradas (10 % dos CNPJs), fatura ainda não publicada "
                   "(15 %, publicada na 2ª tentativa), falhas transitórias da API (5xx, 429, conexão cortada), PDF "
                   "do mês anterior (5 %) e arquivo que não é PDF (2 %). Opções dadas explicitamente valem mais.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Padrão: a porta de BEG_RPA_URL.")
@click.option("--latencia", type=float, default=5.0, show_default=True, help="Duração média de um job (s).")
@click.option("--jitter", type=float, default=2.0, show_default=True, help="Variação da duração (± s).")
@click.option("--capacidade", type=int, default=5, show_default=True, help="Jobs executando ao mesmo tempo.")
@click.option("--rtt", type=click.FloatRange(0.0), default=0.0, show_default=True,
              help="Ida e volta da rede (s) somada a cada chamada HTTP, ex.: 0.04.")
@click.option("--falha-5xx-submit", type=_taxa, default=0.0, show_default=True)
@click.option("--falha-5xx-status", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-429", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-reset", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-job-travado", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-json-malformado", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-arquivo-nao-pdf", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-credenciais-invalidas", type=_taxa, default=0.0, show_default=True,
              help="Parte dos CNPJs cujo login no portal é recusado (sempre o mesmo CNPJ).")
@click.option("--taxa-nao-publicada", type=_taxa, default=0.0, show_default=True,
              help="Parte dos CNPJs cuja fatura só aparece na 2ª tentativa.")
@click.option("--taxa-mes-errado", type=_taxa, default=0.0, show_default=True,
              help="Parte dos jobs que entregam a fatura do mês anterior.")
@click.option("--formato-arquivo", type=click.Choice(["s3", "chave", "http", "misto"]), default="s3", show_default=True)
@click.option("--mes-referencia", default=None, help="Mês das faturas (MM/AAAA); padrão: o mês corrente.")
@click.option("--mes-errado", multiple=True, help="CNPJ cujo portal entrega a fatura do mês anterior (repetível).")
def simulador(perfil: str | None, host: str, port: int | None, latencia: float, jitter: float, capacidade: int,
              rtt: float, **opcoes: object) -> None:
    """Simulador local da API dos robôs (mesmo contrato da produção), com falhas opcionais."""
    contexto = click.get_current_context()
    campos = {"latencia": "latencia_s", "jitter": "jitter_s"}
    explicitas = {campos.get(nome, nome) for nome in contexto.params
                  if contexto.get_parameter_source(nome) is not click.core.ParameterSource.DEFAULT}
    valores = aplicar_perfil(perfil, {"latencia_s": latencia, "jitter_s": jitter, "capacidade": capacidade, **opcoes},
                             explicitas)
    try:
        settings = load_settings()
    except ConfiguracaoInvalida as exc:
        raise click.ClickException(str(exc)) from None
    if port is None:
        url = urlsplit(settings.rpa_url)
        port = url.port or (443 if url.scheme == "https" else 80)
    try:
        config = SimuladorConfig(**valores, rtt_s=rtt)
    except ValidationError as exc:
        raise click.BadParameter("; ".join(e["msg"] for e in exc.errors())) from None
    sim = Simulador(config, settings)
    try:
        base_url = sim.start(host, port)
    except OSError as exc:
        raise click.ClickException(f"não foi possível escutar em {host}:{port}: {exc.strerror or exc}") from None
    click.echo(f"Simulador do robô em {base_url} (token: BEG_RPA_TOKEN ou {settings.data_dir / 'rpa.token'}); "
               "Ctrl-C para parar", err=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("Parando o simulador…", err=True)
    finally:
        sim.stop()

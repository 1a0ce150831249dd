"""``beg simulador``: serve the local robot simulator until Ctrl-C."""

from __future__ import annotations

import threading
from urllib.parse import urlsplit

import click
from pydantic import ValidationError

from beg_pipeline.rpa.simulador import Simulador, SimuladorConfig
from beg_pipeline.settings import ConfiguracaoInvalida, load_settings

_taxa = click.FloatRange(0.0, 1.0)


@click.command("simulador")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=None, help="Padrão: a porta de BEG_RPA_URL.")
@click.option("--latencia", type=float, default=5.0, show_default=True, help="Duração média de um job (s).")
@click.option("--jitter", type=float, default=2.0, show_default=True, help="Variação da duração (± s).")
@click.option("--capacidade", type=int, default=5, show_default=True, help="Jobs executando ao mesmo tempo.")
@click.option("--falha-5xx-submit", type=_taxa, default=0.0, show_default=True)
@click.option("--falha-5xx-status", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-429", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-reset", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-job-travado", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-json-malformado", type=_taxa, default=0.0, show_default=True)
@click.option("--taxa-arquivo-nao-pdf", type=_taxa, default=0.0, show_default=True)
@click.option("--formato-arquivo", type=click.Choice(["s3", "chave", "http", "misto"]), default="s3", show_default=True)
@click.option("--mes-referencia", default=None, help="Mês das faturas (MM/AAAA); padrão: o mês que acabou.")
@click.option("--mes-errado", multiple=True, help="CNPJ cujo portal entrega a fatura do mês anterior (repetível).")
def simulador(host: str, port: int | None, latencia: float, jitter: float, capacidade: int, **opcoes: object) -> None:
    """Simulador local da API dos robôs (mesmo contrato da produção), com falhas opcionais."""
    try:
        settings = load_settings()
    except ConfiguracaoInvalida as exc:
        raise click.ClickException(str(exc)) from None
    if port is None:
        url = urlsplit(settings.rpa_url)
        port = url.port or (443 if url.scheme == "https" else 80)
    try:
        config = SimuladorConfig(latencia_s=latencia, jitter_s=jitter, capacidade=capacidade, **opcoes)
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

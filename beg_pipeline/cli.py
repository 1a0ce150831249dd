"""The ``beg`` command: database, users, client and legacy import, keys, demo data and the robot simulator."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from beg_pipeline.domain.perfis import Ator, Perfil, PermissaoNegada
from beg_pipeline.domain.processo import TransicaoInvalida
from beg_pipeline.rpa.cli_simulador import simulador
from beg_pipeline.seguranca import SegredoIlegivel, gerar_chave
from beg_pipeline.settings import ConfiguracaoInvalida, load_settings

ERROS_DE_USO = (ConfiguracaoInvalida, PermissaoNegada, TransicaoInvalida, SegredoIlegivel, ValueError, LookupError)


def _ator_cli() -> Ator:
    """CLI commands are run by an administrator at the server's shell."""
    return Ator(perfil=Perfil.ADMINISTRADOR, email=f"cli:{getpass.getuser()}")


def _contexto():
    from beg_pipeline.services.contexto import Contexto

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Contexto(settings)


def mensagens_claras(func: Callable[..., None]) -> Callable[..., None]:
    """Turn expected errors into one message on stderr and exit status 2, without a traceback."""

    @wraps(func)
    def wrapper(*args, **kwargs):
        from beg_pipeline.services.contexto import RegraViolada

        try:
            return func(*args, **kwargs)
        except (*ERROS_DE_USO, RegraViolada) as exc:
            click.echo(f"Erro: {exc}", err=True)
            sys.exit(2)

    return wrapper


@click.group()
def cli() -> None:
    """BEG Telecomunicações — faturas mensais."""


@cli.group()
def db() -> None:
    """Banco de dados."""


@db.command("upgrade")
@mensagens_claras
def db_upgrade() -> None:
    """Aplica as migrações pendentes (Alembic)."""
    from beg_pipeline.db import migracoes

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migracoes.upgrade(settings.resolved_migration_url)
    click.echo(f"Banco atualizado (revisão {migracoes.revision_atual(settings.resolved_migration_url)}).")
    papel = make_url(settings.resolved_database_url).username
    if settings.database_url_migracoes and papel and papel != make_url(settings.database_url_migracoes).username:
        from beg_pipeline.db.papel_app import conceder_privilegios

        conceder_privilegios(settings.database_url_migracoes, papel)  # new tables need the app role's grants
        click.echo(f"Privilégios do papel {papel} atualizados.")


@db.command("papel-app")
@click.option("--papel", default=None, help="Padrão: o usuário de BEG_DATABASE_URL.")
@click.option("--sem-senha", is_flag=True, help="Não define senha (autenticação peer ou por certificado).")
@mensagens_claras
def db_papel_app(papel: str | None, sem_senha: bool) -> None:
    """Cria ou atualiza o papel PostgreSQL restrito do aplicativo (conecta como BEG_DATABASE_URL_MIGRACOES)."""
    from sqlalchemy.exc import DBAPIError

    from beg_pipeline.db.papel_app import configurar_papel

    settings = load_settings()
    if not settings.database_url_migracoes:
        raise click.UsageError("defina BEG_DATABASE_URL_MIGRACOES com o usuário dono das tabelas")
    papel = papel or make_url(settings.resolved_database_url).username
    senha = None if sem_senha else _ler_senha()
    if not sem_senha and not senha:
        raise click.UsageError("senha vazia: digite uma senha ou use --sem-senha")
    try:
        configurar_papel(settings.database_url_migracoes, papel, senha)
    except DBAPIError as exc:
        raise click.ClickException(f"o PostgreSQL recusou: {str(exc.orig).strip()}") from None
    click.echo(f"Papel {papel} pronto: leitura e escrita nas tabelas do BEG, somente inserção na auditoria. "
               f"Use-o em BEG_DATABASE_URL.")


@db.command("backup")
@mensagens_claras
def db_backup() -> None:
    """Copia o banco para o armazenamento de objetos (o mesmo que o agendamento diário faz)."""
    from beg_pipeline.services.manutencao import backup_banco
    from beg_pipeline.storage import object_store_from_settings

    contexto = _contexto()
    click.echo(f"Backup gravado em {backup_banco(contexto, object_store_from_settings(contexto.settings))}")


@db.command("restaurar")
@click.argument("chave", required=False)
@click.option("--sim", "confirmado", is_flag=True, help="Confirma a substituição do banco atual.")
@mensagens_claras
def db_restaurar(chave: str | None, confirmado: bool) -> None:
    """Restaura um backup (sem CHAVE: lista os backups disponíveis)."""
    from beg_pipeline.services.manutencao import restaurar_banco
    from beg_pipeline.storage import object_store_from_settings

    settings = load_settings()
    store = object_store_from_settings(settings)
    if chave is None:
        for item in sorted(store.list("backups/")):
            click.echo(item)
        return
    if not confirmado:
        click.confirm(f"Substituir o banco atual pelo backup {chave}?", abort=True)
    restaurar_banco(settings.resolved_migration_url, store, chave)  # the owner: pg_restore recreates the tables
    click.echo(f"Banco restaurado de {chave}.")


@cli.group()
def usuarios() -> None:
    """Usuários do aplicativo."""


def _ler_senha() -> str:
    if sys.stdin.isatty():
        return click.prompt("Senha", hide_input=True, confirmation_prompt="Repita a senha")
    return sys.stdin.readline().rstrip("\r\n")


@usuarios.command("criar")
@click.option("--email", required=True)
@click.option("--nome", required=True)
@click.option("--perfil", required=True,
              type=click.Choice(["ADMINISTRADOR", "APROVADOR", "OPERADOR"], case_sensitive=False))
@mensagens_claras
def usuarios_criar(email: str, nome: str, perfil: str) -> None:
    """Cria um usuário; a senha é pedida duas vezes (ou lida da entrada padrão)."""
    from beg_pipeline.services import cadastros

    usuario = cadastros.criar_usuario(_contexto(), _ator_cli(), email=email, nome=nome, perfil=perfil,
                                      senha=_ler_senha())
    click.echo(f"Usuário {usuario.email} criado com perfil {usuario.perfil.value}.")


@cli.group()
def clientes() -> None:
    """Clientes (contas por operadora)."""


@clientes.command("importar")
@click.argument("arquivo", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Mostra o que mudaria, sem gravar.")
@mensagens_claras
def clientes_importar(arquivo: Path, dry_run: bool) -> None:
    """Importa a planilha de clientes exportada em CSV."""
    from beg_pipeline.services.importacao_clientes import importar_clientes

    relatorio = importar_clientes(_contexto(), _ator_cli(), arquivo.read_bytes(), dry_run=dry_run)
    click.echo(relatorio.resumo())


@cli.group()
def operadoras() -> None:
    """Operadoras e robôs de download."""


@operadoras.command("listar")
@mensagens_claras
def operadoras_listar() -> None:
    """Lista as operadoras: robô, situação, clientes e clientes sem credenciais de portal."""
    from beg_pipeline.services import cadastros

    resumo = cadastros.resumo_operadoras(_contexto(), _ator_cli())
    if not resumo:
        click.echo("Nenhuma operadora cadastrada (a importação de clientes as cria).")
    for o in resumo:
        click.echo(f"{o.codigo:<12} {'com robô' if o.possui_rpa else 'sem robô'}  "
                   f"{'ativa' if o.status_ativo else 'inativa':<7}  {o.clientes} clientes, "
                   f"{o.sem_credenciais} sem credenciais  ({o.nome})")


@operadoras.command("robo")
@click.argument("codigo")
@click.option("--sim/--nao", "possui_rpa", required=True,
              help="--sim: a API de robôs atende a operadora; --nao: faturas só por upload manual.")
@mensagens_claras
def operadoras_robo(codigo: str, possui_rpa: bool) -> None:
    """Marca se a operadora CODIGO tem robô de download (para instalações sem navegador)."""
    from beg_pipeline.services import cadastros

    operadora = cadastros.definir_robo_operadora(_contexto(), _ator_cli(), codigo, possui_rpa)
    click.echo(f"Operadora {operadora.codigo}: " + ("com robô de download." if possui_rpa
                                                   else "sem robô (faturas por upload manual)."))


@cli.group()
def legado() -> None:
    """Migração do sistema legado (Flask): importação e reconciliação."""


@legado.command("importar")
@click.option("--url", required=True, metavar="URL",
              help="Banco do legado: postgresql+psycopg2://usuario@host:5432/banco ou sqlite:///caminho/db.sqlite3.")
@click.option("--pdfs", metavar="PASTA", type=click.Path(file_okay=False, path_type=Path),
              help="Cópia do bucket beg como pasta (`mc mirror beg/ PASTA`): o arquivo PASTA/<chave> é o objeto. "
                   "Sem --pdfs, lê o bucket do legado ao vivo (BEG_LEGADO_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, "
                   "_BUCKET, _SECURE).")
@click.option("--dry-run", is_flag=True, help="Não grava nada: mostra o que faria e a reconciliação resultante.")
@mensagens_claras
def legado_importar(url: str, pdfs: Path | None, dry_run: bool) -> None:
    """Importa operadoras, clientes, usuários, processos, execuções e PDFs do legado.

    \b
    - Idempotente e incremental: rodar de novo não muda nada; linhas novas ou
      alteradas no legado desde a última importação chegam. Uma linha alterada
      nos dois sistemas é mantida como está no sistema novo e relatada.
    - Senhas de portal são cifradas na entrada (nunca aparecem na saída); os
      tokens do robô e do GitHub do legado não são migrados.
    - Usuários: `usuarios` e `users` unidos por e-mail; a senha do legado vale
      uma vez, no primeiro login, e é trocada por argon2id.
    - Status antigos viram os 4 status atuais (como em schema.md); jobs do robô
      ainda EXECUTANDO no legado são adotados pela próxima execução de
      `faturas`, sem novo envio.
    - PDFs copiados para o armazenamento com SHA-256; PDF ausente é relatado.
    - Termina com a reconciliação legado × novo (por tabela, status e mês,
      quantidade e soma de valor_fatura), impressa e gravada em CSV em
      legado/ no armazenamento. Sai com código 1 se não conferir.
    """
    from beg_pipeline.legado.importacao import importar_legado
    from beg_pipeline.legado.leitura import LeitorLegado
    from beg_pipeline.legado.origem_pdfs import origem_pdfs
    from beg_pipeline.storage import object_store_from_settings

    contexto = _contexto()
    origem = origem_pdfs(contexto.settings, pdfs)
    leitor = LeitorLegado(url, contexto.settings.tz)
    try:
        relatorio = importar_legado(contexto, _ator_cli(), leitor, origem,
                                    object_store_from_settings(contexto.settings), dry_run=dry_run)
    finally:
        leitor.fechar()
    click.echo(relatorio.resumo())
    for chave in relatorio.arquivos:
        click.echo(f"Relatório gravado em {chave}")
    if not relatorio.ok:
        sys.exit(1)


@cli.group()
def chaves() -> None:
    """Chaves de criptografia das senhas de portal."""


@chaves.command("gerar")
def chaves_gerar() -> None:
    """Imprime uma chave nova (coloque-a à frente em BEG_SECRET_KEY e rode `beg chaves rotacionar`)."""
    click.echo(gerar_chave())


@chaves.command("rotacionar")
@mensagens_claras
def chaves_rotacionar() -> None:
    """Recifra todas as senhas de portal com a primeira chave de BEG_SECRET_KEY."""
    from beg_pipeline.services.chaves import rotacionar_chaves

    click.echo(f"{rotacionar_chaves(_contexto(), _ator_cli())} senhas recifradas com a chave atual.")


@cli.group()
def notificacoes() -> None:
    """Notificações por e-mail e webhook."""


@notificacoes.command("enviar")
@click.option("--repetir-falhas", is_flag=True, help="Antes, recoloca na fila as mensagens com falha definitiva.")
@mensagens_claras
def notificacoes_enviar(repetir_falhas: bool) -> None:
    """Envia uma vez as mensagens pendentes (o sensor do Dagster faz o mesmo a cada minuto)."""
    from beg_pipeline.services import envios_notificacao

    contexto = _contexto()
    if repetir_falhas:
        click.echo(f"{envios_notificacao.repetir_falhas(contexto)} mensagens com falha recolocadas na fila.")
    click.echo(f"Notificações: {envios_notificacao.enviar_pendentes(contexto)}.")


@cli.command()
@mensagens_claras
def demo() -> None:
    """Carrega operadoras, ~30 clientes e um usuário por perfil (idempotente)."""
    from beg_pipeline.services.demo import carregar_demo

    contexto = _contexto()
    resultado = carregar_demo(contexto, _ator_cli())
    click.echo(resultado.importacao.resumo())
    if resultado.usuarios_criados:
        linhas = [f"  {email}  {senha}" for email, senha in resultado.usuarios_criados.items()]
        arquivo = contexto.settings.data_dir / "usuarios-demo.txt"
        descritor = os.open(arquivo, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descritor, "w") as saida:
            saida.write("Senhas iniciais dos usuários de demonstração (troque-as no aplicativo):\n"
                        + "\n".join(linhas) + "\n")
        click.echo(f"Usuários de demonstração (senhas iniciais, também em {arquivo}):")
        click.echo("\n".join(linhas))
    else:
        click.echo("Usuários de demonstração já existiam.")


cli.add_command(simulador)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()

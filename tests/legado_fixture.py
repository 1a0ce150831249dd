"""A legacy-shaped database built from /work/shared/legacy/schema.md, with every dirty case it lists.

``LegadoFicticio`` writes 13 months of processes over a handful of clients (every stored status, off-enum values,
NULL approvers, duplicate attempts, stale EXECUTANDO rows, day/month swapped due dates, users in only one table),
PDFs in a bucket folder (some referenced ones missing, other buckets, portal links) and a canary portal password.
PostgreSQL mirrors ``create_all``'s DDL; the SQLite variant has CHAR(36) ids, integer approver ids written as text
and lacks the late columns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from stdnum.br import cnpj as stdnum_cnpj
from werkzeug.security import generate_password_hash

CANARIO = "Canario-Portal-7f3a9e"
SENHA_LOGIN = "senha-do-legado-123"
MESES = [f"{m:02d}/{a}" for a, m in [(2025, 11), (2025, 12)] + [(2026, m) for m in range(1, 12)]]
STATUS = ["AGUARDANDO_DOWNLOAD", "AGUARDANDO_APROVACAO", "AGUARDANDO_ENVIO_SAT", "UPLOAD_REALIZADO",
          "DOWNLOAD_EM_ANDAMENTO", "ERRO_DOWNLOAD", "DOWNLOAD_CONCLUIDO", "SAT_EM_ANDAMENTO", "ERRO_SAT",
          "SAT_CONCLUIDO", "CANCELADO", "DOWNLOAD_COMPLETO", "PENDENTE_APROVACAO", "APROVADO", "ENVIANDO_SAT",
          "FALHA_ENVIO_SAT", "ENVIADO_SAT", "UPLOAD_SAT_REALIZADO", "CONCLUIDO", "REJEITADO", "DOWNLOAD_FALHOU"]
CANONICO = {  # schema.md's table, written out independently of the code under test
    "AGUARDANDO_DOWNLOAD": "AGUARDANDO_DOWNLOAD", "DOWNLOAD_EM_ANDAMENTO": "AGUARDANDO_DOWNLOAD",
    "ERRO_DOWNLOAD": "AGUARDANDO_DOWNLOAD", "REJEITADO": "AGUARDANDO_DOWNLOAD",
    "DOWNLOAD_FALHOU": "AGUARDANDO_DOWNLOAD",
    "AGUARDANDO_APROVACAO": "AGUARDANDO_APROVACAO", "DOWNLOAD_CONCLUIDO": "AGUARDANDO_APROVACAO",
    "DOWNLOAD_COMPLETO": "AGUARDANDO_APROVACAO", "PENDENTE_APROVACAO": "AGUARDANDO_APROVACAO",
    "AGUARDANDO_ENVIO_SAT": "AGUARDANDO_ENVIO_SAT", "SAT_EM_ANDAMENTO": "AGUARDANDO_ENVIO_SAT",
    "ERRO_SAT": "AGUARDANDO_ENVIO_SAT", "APROVADO": "AGUARDANDO_ENVIO_SAT", "ENVIANDO_SAT": "AGUARDANDO_ENVIO_SAT",
    "FALHA_ENVIO_SAT": "AGUARDANDO_ENVIO_SAT", "UPLOAD_REALIZADO": "UPLOAD_REALIZADO",
    "SAT_CONCLUIDO": "UPLOAD_REALIZADO", "ENVIADO_SAT": "UPLOAD_REALIZADO", "UPLOAD_SAT_REALIZADO": "UPLOAD_REALIZADO",
    "CONCLUIDO": "UPLOAD_REALIZADO",
}
JSONS = {"parametros_entrada", "resultado_saida", "detalhes_erro", "configuracao_rpa", "token"}
TARDIAS = {"processos": ["tentativas_download", "ultima_tentativa_download", "tentativas_upload_sat",
                         "ultima_tentativa_upload_sat", "fatura_s3_key", "fatura_filename", "data_upload_manual"],
           "execucoes": ["job_id"], "users": ["is_admin", "api_externa_token"]}


def _ddl(sqlite: bool, tardias: bool) -> list[str]:
    uid = "CHAR(36)" if sqlite else "uuid"
    ts = "DATETIME" if sqlite else "timestamptz"
    js = "TEXT" if sqlite else "json"
    base = f"id {uid} NOT NULL PRIMARY KEY, data_criacao {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP, " \
           f"data_atualizacao {ts} NOT NULL DEFAULT CURRENT_TIMESTAMP"

    def late(tabela: str, coluna: str, tipo: str) -> str:
        return f"{coluna} {tipo}, " if tardias or coluna not in TARDIAS.get(tabela, []) else ""

    serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if sqlite else "SERIAL PRIMARY KEY"
    return [
        f"CREATE TABLE users (id {serial}, username varchar(64) UNIQUE, email varchar(64) UNIQUE, "
        f"password {'BLOB' if sqlite else 'bytea'}, oauth_github varchar(100)"
        + (f", is_admin boolean NOT NULL DEFAULT {'0' if sqlite else 'false'}, api_externa_token varchar(500)"
           if tardias else "") + ")",
        f"CREATE TABLE flask_dance_oauth (id {serial}, provider varchar(50) NOT NULL, created_at timestamp NOT NULL, "
        f"token {js} NOT NULL, user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE)",
        "CREATE TABLE usuarios (nome_completo varchar(255) NOT NULL, email varchar(255) NOT NULL, "
        "telefone varchar(20), perfil_usuario varchar(50) NOT NULL, status_ativo boolean NOT NULL, "
        + ("username varchar(64), password_hash varchar(255), " if sqlite else "") + base + ")",
        "CREATE UNIQUE INDEX ix_usuarios_email ON usuarios (email)",
        f"CREATE TABLE operadoras (nome varchar(100) NOT NULL, codigo varchar(20) NOT NULL, possui_rpa boolean NOT "
        f"NULL, status_ativo boolean NOT NULL, url_portal varchar(500), instrucoes_acesso text, configuracao_rpa {js},"
        f" classe_rpa varchar(100), {base})",
        f"CREATE TABLE clientes (hash_unico varchar(50) NOT NULL, razao_social varchar(255) NOT NULL, nome_sat "
        f"varchar(255) NOT NULL, cnpj varchar(20) NOT NULL, operadora_id {uid} NOT NULL REFERENCES operadoras(id), "
        f"filtro varchar(255), servico varchar(255) NOT NULL, dados_sat text, unidade varchar(100) NOT NULL, "
        f"site_emissao varchar(255), login_portal varchar(100), senha_portal varchar(100), cpf varchar(20), "
        f"status_ativo boolean NOT NULL, {base}, CONSTRAINT uq_cliente_cnpj_operadora_unidade_servico "
        f"UNIQUE (cnpj, operadora_id, unidade, servico))",
        f"CREATE TABLE processos (cliente_id {uid} NOT NULL REFERENCES clientes(id) ON DELETE CASCADE, mes_ano "
        f"varchar(7) NOT NULL, status_processo varchar(50) NOT NULL, url_fatura varchar(500), caminho_s3_fatura "
        f"varchar(500), {late('processos', 'fatura_s3_key', 'varchar(500)')}"
        f"{late('processos', 'fatura_filename', 'varchar(255)')}{late('processos', 'data_upload_manual', ts)}"
        f"data_vencimento date, valor_fatura numeric(15,2), aprovado_por_usuario_id {uid}, data_aprovacao {ts}, "
        f"enviado_para_sat boolean NOT NULL, data_envio_sat {ts}, "
        f"{late('processos', 'tentativas_download', 'numeric(10,0) NOT NULL DEFAULT 0')}"
        f"{late('processos', 'ultima_tentativa_download', ts)}"
        f"{late('processos', 'tentativas_upload_sat', 'numeric(10,0) NOT NULL DEFAULT 0')}"
        f"{late('processos', 'ultima_tentativa_upload_sat', ts)}upload_manual boolean NOT NULL, "
        f"criado_automaticamente boolean NOT NULL, observacoes text, {base}, "
        f"CONSTRAINT uq_processo_cliente_mes_ano UNIQUE (cliente_id, mes_ano))",
        f"CREATE TABLE execucoes (processo_id {uid} NOT NULL REFERENCES processos(id) ON DELETE CASCADE, "
        f"tipo_execucao varchar(50) NOT NULL, status_execucao varchar(50) NOT NULL, classe_rpa_utilizada "
        f"varchar(100), {late('execucoes', 'job_id', 'varchar(100)')}parametros_entrada {js}, resultado_saida {js}, "
        f"data_inicio {ts} NOT NULL, data_fim {ts}, mensagem_log text, url_arquivo_s3 varchar(500), "
        f"numero_tentativa integer NOT NULL, detalhes_erro {js}, executado_por_usuario_id {uid}, "
        f"ip_origem varchar(45), user_agent text, {base})",
        f"CREATE TABLE agendamentos (nome_agendamento varchar(255) NOT NULL UNIQUE, descricao text, cron_expressao "
        f"varchar(100) NOT NULL, tipo_agendamento varchar(50) NOT NULL, status_ativo boolean NOT NULL, "
        f"proxima_execucao {ts}, ultima_execucao {ts}, parametros_execucao {js}, {base})",
        f"CREATE TABLE notificacoes (tipo_notificacao varchar(50) NOT NULL, destinatario varchar(255) NOT NULL, "
        f"assunto varchar(255), mensagem text NOT NULL, status_envio varchar(50) NOT NULL, tentativas_envio integer "
        f"NOT NULL, data_envio {ts}, mensagem_erro text, {base})",
    ]


def cnpj_ficticio(i: int) -> str:
    """The CNPJ of the fixture's i-th client."""
    base = f"{10_000_000 + i:08d}0001"
    return base + stdnum_cnpj.calc_check_digits(base)


def hash_pbkdf2(senha: str, n: int) -> bytes:
    sal = hashlib.sha256(f"sal-{n}".encode()).hexdigest()
    return (sal + hashlib.pbkdf2_hmac("sha512", senha.encode(), sal.encode(), 100_000).hex()).encode()


def _pdf(texto: str) -> bytes:
    return b"%PDF-1.4\n% fatura do legado " + texto.encode() + b"\n%%EOF\n"


@dataclass
class LegadoFicticio:
    """Builds the legacy database; attributes hold what the tests check against."""

    url: str
    pasta_pdfs: Path
    sqlite: bool = False
    tardias: bool = True
    job_em_voo: str | None = None
    processos: list[dict] = field(default_factory=list)
    pdfs_gravados: dict[str, bytes] = field(default_factory=dict)  # legacy process id → bytes in the bucket folder
    pdfs_ausentes: dict[str, str] = field(default_factory=dict)  # legacy process id → missing key
    vencimentos_trocados: dict[str, dt.date] = field(default_factory=dict)  # legacy process id → corrected date
    processo_em_voo: str | None = None
    ids: dict[str, str] = field(default_factory=dict)

    def __post_init__(self):
        self.engine = create_engine(self.url)
        self.pasta_pdfs.mkdir(parents=True, exist_ok=True)

    def _id(self, nome: str) -> str:
        return self.ids.setdefault(nome, str(uuid.uuid5(uuid.NAMESPACE_URL, f"legado/{nome}")))

    def _bool(self, valor: bool):
        return int(valor) if self.sqlite else valor

    def criar(self) -> LegadoFicticio:
        with self.engine.begin() as conn:
            for ddl in _ddl(self.sqlite, self.tardias):
                conn.execute(text(ddl))
            self._cadastros(conn)
            self._processos(conn)
        return self

    def inserir(self, conn, tabela: str, **valores) -> None:
        if not self.tardias:
            valores = {k: v for k, v in valores.items() if k not in TARDIAS.get(tabela, [])}
        for k, v in list(valores.items()):
            if isinstance(v, bool):
                valores[k] = self._bool(v)
            elif isinstance(v, dict):
                valores[k] = json.dumps(v)
            elif self.sqlite and isinstance(v, (Decimal, dt.date)):  # dt.datetime is a dt.date too
                valores[k] = v.isoformat(" ") if isinstance(v, dt.datetime) else str(v)
        colunas = ", ".join(valores)
        marcas = ", ".join(f"CAST(:{k} AS json)" if not self.sqlite and k in JSONS else f":{k}" for k in valores)
        conn.execute(text(f"INSERT INTO {tabela} ({colunas}) VALUES ({marcas})"), valores)

    def _cadastros(self, conn) -> None:
        for codigo, nome, rpa in [("OI", "Oi", True), ("VIVO", "Vivo", True), ("EMBRATEL", "Embratel", True),
                                  ("DIGITALNET", "DigitalNet", True), ("AZU", "Azuton", False), ("NET", "Net", False),
                                  ("SAT", "SAT - Sistema BEG", True)]:
            self.inserir(conn, "operadoras", id=self._id(f"op/{codigo}"), nome=nome, codigo=codigo, possui_rpa=rpa,
                         status_ativo=True, configuracao_rpa={"classe_rpa": f"{nome}RPA", "timeout_padrao": 300})
        pessoas = [("admin@beg.com.br", "ADMINISTRADOR", True), ("aprovador@beg.com.br", "APROVADOR", True),
                   ("Aprovador@BEG.com.br", "APROVADOR", True), ("operador@beg.com.br", "OPERADOR", True),
                   ("antigo@beg.com.br", "APROVADOR", False)]
        for email, perfil, ativo in pessoas:
            extra = {}
            if self.sqlite and email == "operador@beg.com.br":  # dev SQLite: a werkzeug hash added by a script
                extra["password_hash"] = generate_password_hash(SENHA_LOGIN)
            self.inserir(conn, "usuarios", id=self._id(f"u/{email}"), nome_completo=email.split("@")[0].title(),
                         email=email, telefone="(91) 99999-0000", perfil_usuario=perfil, status_ativo=ativo, **extra)
        contas = [(1, "admin", "admin@beg.com.br", True), (2, "aprovador", "aprovador@beg.com.br", False),
                  (3, "curioso", "curioso@gmail.com", False), (4, "(gh)fulano", None, False)]
        for n, username, email, admin in contas:
            self.inserir(conn, "users", id=n, username=username, email=email, is_admin=admin,
                         password=None if email is None else hash_pbkdf2(SENHA_LOGIN, n),
                         oauth_github="fulano" if email is None else None,
                         api_externa_token="eyJ-token-do-robo-secreto")
        self.inserir(conn, "flask_dance_oauth", provider="github", created_at=dt.datetime(2025, 5, 1),
                     token={"access_token": "gho_token_secreto"}, user_id=4)
        clientes = [("c/oi", "OI", "ACME TELECOM S/A", "FAT-1001", "acme", CANARIO, "123.456.789-09"),
                    ("c/vivo", "VIVO", "BETA LTDA", None, None, None, "não informado"),
                    ("c/emb", "EMBRATEL", "GAMA SOLUÇÕES & CIA.", "EMB-77", "gama", "outra-senha", None),
                    ("c/dig", "DIGITALNET", "DELTA, SERVIÇOS", "DN-5", "delta", "senha-delta", None),
                    ("c/azu", "AZU", "EPSILON ME", None, None, None, None),
                    ("c/net", "NET", "ZETA EIRELI", None, None, None, None),
                    ("c/sat", "SAT", "SAT INTERNO", None, None, None, None),
                    ("c/curto", "OI", "CNPJ CURTO LTDA", "X-1", "x", "y-senha", None)]
        for i, (nome, codigo, razao, filtro, login, senha, cpf) in enumerate(clientes):
            cnpj = cnpj_ficticio(i)
            if nome == "c/emb":
                cnpj = stdnum_cnpj.format(cnpj)  # typed into the form, as typed
            if nome == "c/curto":
                cnpj = "1234567"
            self.inserir(conn, "clientes", id=self._id(nome), hash_unico=hashlib.sha256(nome.encode()).hexdigest()[:50],
                         razao_social=razao, nome_sat=razao, cnpj=cnpj, operadora_id=self._id(f"op/{codigo}"),
                         filtro=filtro, servico="LINK DEDICADO", unidade="BELEM", login_portal=login,
                         senha_portal=senha, cpf=cpf, status_ativo=True)

    def _aprovador(self, k: int) -> str | None:
        if k % 3 == 0:
            return None  # the approve action failed to record its author
        if self.sqlite and k % 3 == 1:
            return "1"  # integer users.id written as text
        return self._id("u/aprovador@beg.com.br")

    def _processos(self, conn) -> None:
        clientes = ["c/oi", "c/vivo", "c/emb", "c/dig", "c/azu", "c/net", "c/curto"]
        k = 0
        for ci, cliente in enumerate(clientes):
            for mi, mes_ano in enumerate(MESES):
                k += 1
                status = STATUS[(ci * 5 + mi) % len(STATUS)]
                if cliente == "c/dig" and mi == 4:
                    status = "STATUS_ESTRANHO"
                if cliente == "c/oi" and mes_ano == "11/2026":
                    status = "DOWNLOAD_EM_ANDAMENTO"
                pid = self._id(f"p/{cliente}/{mes_ano}")
                mes, ano = (int(x) for x in mes_ano.split("/"))
                canonico = CANONICO.get(status)
                aprovado = canonico in ("AGUARDANDO_ENVIO_SAT", "UPLOAD_REALIZADO") or status == "CANCELADO" and k % 2
                aprovador = self._aprovador(k) if aprovado else None
                if status == "CANCELADO" and aprovado and aprovador is None:
                    aprovador = self._id("u/aprovador@beg.com.br")
                tem_fatura = canonico in ("AGUARDANDO_APROVACAO", "AGUARDANDO_ENVIO_SAT", "UPLOAD_REALIZADO")
                vencimento = dt.date(ano, mes, 10) if tem_fatura else None
                if tem_fatura and k % 7 == 0:  # DD/MM read as MM/DD: 10/MM stored as MM-10 → month 10, day MM
                    self.vencimentos_trocados[pid] = vencimento
                    vencimento = dt.date(ano, 10, mes) if mes not in (9, 10, 11) else vencimento
                    if vencimento == self.vencimentos_trocados[pid]:
                        del self.vencimentos_trocados[pid]
                valor = Decimal(100 + k * 7) + Decimal(k % 100) / 100 if tem_fatura or k % 4 == 0 else None
                refs = self._pdf(pid, cliente, mes_ano, k) if tem_fatura else {}
                linha = dict(id=pid, cliente_id=self._id(cliente), mes_ano=mes_ano, status_processo=status,
                             data_vencimento=vencimento, valor_fatura=valor, aprovado_por_usuario_id=aprovador,
                             data_aprovacao=dt.datetime(ano, mes, 15, 9, 30) if aprovador else None,
                             enviado_para_sat=canonico == "UPLOAD_REALIZADO" and k % 2 == 0,
                             tentativas_download=k % 3, tentativas_upload_sat=0, upload_manual="manual" in refs,
                             criado_automaticamente=True, observacoes="fatura conferida" if k % 5 == 0 else None,
                             url_fatura=refs.get("url"), caminho_s3_fatura=refs.get("caminho"),
                             fatura_s3_key=refs.get("chave"), fatura_filename=refs.get("nome"),
                             data_upload_manual=dt.datetime(ano, mes, 12) if "manual" in refs else None)
                self.inserir(conn, "processos", **linha)
                self.processos.append(linha)
                self._execucoes(conn, pid, cliente, mes_ano, status, k)

    def _pdf(self, pid: str, cliente: str, mes_ano: str, k: int) -> dict[str, str]:
        mes, ano = mes_ano.split("/")
        forma = k % 6
        if forma == 0:  # manual upload: razão social unsanitised, "S/A" adds a folder level
            razao = {"c/oi": "ACME_TELECOM_S/A", "c/emb": "GAMA_SOLUÇÕES_&_CIA."}.get(cliente, "CLIENTE_X")
            chave = f"pdfs/OI/{razao}_{ano}_{mes}_{ano}{mes}12_101500_fatura_{k}.pdf"
            refs = {"chave": chave, "url": f"https://minio.beg.com.br/beg/{chave}", "nome": f"fatura_{k}.pdf",
                    "manual": "1"}
        elif forma == 4:
            chave = None
            refs = {"url": f"s3://brm-bucket/OI/{ano}-{mes}/{k:04d}.pdf", "caminho": f"s3://brm-bucket/{k}.pdf"}
        elif forma == 5:
            chave = None
            refs = {"url": "https://portal.operadora.com.br/segunda-via"}
        else:
            chave = f"OI/{ano}-{mes}/{k:04d}.pdf"
            valor = {1: f"s3://beg/{chave}", 2: chave, 3: f"http://10.0.0.5:9000/beg/{chave}"}[forma]
            refs = {"url": valor, "caminho": valor}
        if chave is not None:
            if k % 5 == 1:
                self.pdfs_ausentes[pid] = chave
            else:
                destino = self.pasta_pdfs / chave
                destino.parent.mkdir(parents=True, exist_ok=True)
                destino.write_bytes(_pdf(f"{pid} {k}"))
                self.pdfs_gravados[pid] = destino.read_bytes()
        return refs

    def _execucoes(self, conn, pid: str, cliente: str, mes_ano: str, status: str, k: int) -> None:
        mes, ano = (int(x) for x in mes_ano.split("/"))
        inicio = dt.datetime(ano, mes, 2, 8, 0)
        n = 0

        def execucao(tipo: str, st: str, numero: int, job: str | None = None, horas: int = 0, **extra) -> None:
            nonlocal n
            n += 1
            self.inserir(conn, "execucoes", id=self._id(f"e/{pid}/{n}"), processo_id=pid, tipo_execucao=tipo,
                         status_execucao=st, classe_rpa_utilizada="API_EXTERNA", job_id=job,
                         parametros_entrada={"operadora": "OI", "cnpj": "x", "sincrono": False},
                         data_inicio=inicio + dt.timedelta(hours=horas), numero_tentativa=numero,
                         mensagem_log=f"[{ano}-{mes:02d}-02 08:00:00] job enviado", **extra)

        execucao("DOWNLOAD_FATURA", "FALHOU", 1, f"job-{k}-a", detalhes_erro={"mensagem": "portal fora do ar"})
        execucao("DOWNLOAD_FATURA", "FALHOU", 1, f"job-{k}-b", horas=1)  # duplicate attempt number
        if cliente == "c/oi" and mes_ano == "11/2026":
            execucao("DOWNLOAD_FATURA", "EXECUTANDO", 1, None, horas=2)  # stale: monitor died
            execucao("DOWNLOAD_FATURA", "EXECUTANDO", 1, self.job_em_voo, horas=3,
                     executado_por_usuario_id="1" if self.sqlite else self._id("u/operador@beg.com.br"))
            self.processo_em_voo = pid
        elif k % 4 == 0:
            execucao("DOWNLOAD_FATURA", "EXECUTANDO", 1, f"job-{k}-c", horas=2)  # stale
            execucao("DOWNLOAD_FATURA", "EXECUTANDO", 1, None, horas=3)  # stale
        if CANONICO.get(status) in ("AGUARDANDO_ENVIO_SAT", "UPLOAD_REALIZADO"):
            execucao("UPLOAD_SAT", "CONCLUIDO" if CANONICO[status] == "UPLOAD_REALIZADO" else "TIMEOUT", 1,
                     f"sat-{k}", horas=30)

    def adicionar_processo(self, cliente: str = "c/emb", mes_ano: str = "12/2026") -> str:
        """A row the legacy gains between two imports."""
        pid = self._id(f"p/{cliente}/{mes_ano}")
        with self.engine.begin() as conn:
            linha = dict(id=pid, cliente_id=self._id(cliente), mes_ano=mes_ano, status_processo="ERRO_DOWNLOAD",
                         valor_fatura=Decimal("321.09"), enviado_para_sat=False, upload_manual=False,
                         criado_automaticamente=True, tentativas_download=1, tentativas_upload_sat=0)
            self.inserir(conn, "processos", **linha)
        self.processos.append(linha)
        return pid

    def fechar(self) -> None:
        self.engine.dispose()

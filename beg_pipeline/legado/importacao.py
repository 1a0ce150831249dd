"""``beg legado importar``: carriers, users, clients, processes, executions and PDFs from the legacy system.

Idempotent and incremental (see ``gravacao``); every dirty case of ``schema.md`` is converted or rejected with a
reason, never fatal. Portal passwords are encrypted on the way in and never appear in a report; the legacy's robot
and OAuth tokens are not read at all.

(Slightly over 400 lines on purpose: the five table steps share one run's state — mappings, rejections,
reconciliation lines — and read best side by side.)
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.orm import Session

from beg_pipeline.db.models import Cliente, Execucao, LegadoMapeamento, Operadora, Processo, Usuario
from beg_pipeline.domain import calendario
from beg_pipeline.domain.documentos import validar_cpf
from beg_pipeline.domain.execucao import StatusExecucao, TipoExecucao
from beg_pipeline.domain.perfis import PERFIS_DE_PESSOAS, Ator, Permissao
from beg_pipeline.legado import regras, senhas
from beg_pipeline.legado.gravacao import Acao, Gravador, impressao
from beg_pipeline.legado.leitura import LeitorLegado
from beg_pipeline.legado.origem_pdfs import ChavePdfInvalida, OrigemPasta, OrigemS3
from beg_pipeline.legado.reconciliacao import LinhaLegado, PdfLegado, reconciliar, reconciliar_pdfs
from beg_pipeline.legado.relatorio import TABELAS, RelatorioLegado, guardar_relatorios
from beg_pipeline.services.contexto import Contexto, RegraViolada
from beg_pipeline.storage.base import ChaveInvalida, ObjectStore, chave_fatura, sha256_hex

Origem = OrigemPasta | OrigemS3
_NAO_ALFANUM = re.compile(r"[^0-9A-Za-z]")


class _Importacao:
    """One run: the table steps in dependency order, then the reconciliation."""

    def __init__(self, ctx: Contexto, ator: Ator, leitor: LeitorLegado, origem: Origem, store: ObjectStore,
                 dry_run: bool):
        self.ctx, self.leitor, self.origem, self.store = ctx, leitor, origem, store
        self.g = Gravador(ctx, ator, dry_run)
        self.r = RelatorioLegado(dry_run)
        self.legado = {t: leitor.ler(t) for t in (*TABELAS, "users")}
        self.r.colunas_ausentes = {t: c for t in (*TABELAS, "users") if (c := leitor.colunas_ausentes(t))}
        self.codigos: dict[str, str] = {}  # legacy operadora id → new code
        self.senhas_portal = sorted({c["senha_portal"] for c in self.legado["clientes"]
                                     if c["senha_portal"] and len(c["senha_portal"]) >= 4}, key=len, reverse=True)
        self.reconciliar: dict[str, list[LinhaLegado]] = defaultdict(list)
        self.rejeitados: set[tuple[str, str]] = set()
        self.pdfs_nao_copiados: set[str] = set()  # legacy process ids whose PDF could not be copied (reported)

    # ------------------------------------------------------------------ helpers
    def _contar(self, tabela: str, id_legado: str, acao: Acao, motivo: str | None = None) -> None:
        self.r.contagens[tabela].somar(acao)
        if acao is Acao.CONFLITO:
            self.r.problema(tabela, id_legado, "alterado no legado e no sistema novo desde a última importação: "
                                               "mantida a versão do sistema novo")
        elif acao is Acao.UNIFICADO and motivo:
            self.r.problema(tabela, id_legado, motivo)

    def _rejeitar(self, tabela: str, linha: dict[str, Any], motivo: str, **chaves: Any) -> None:
        self.r.contagens[tabela].somar(Acao.REJEITADO)
        self.r.problema(tabela, linha["id"], motivo, rejeitado=True)
        self.rejeitados.add((tabela, linha["id"]))
        self.reconciliar[tabela].append(LinhaLegado(linha["id"], rejeitado=True, **chaves))

    def _falhou(self, tabela: str):
        def ao_falhar(linha: dict[str, Any], motivo: str) -> None:
            self.reconciliar[tabela] = [r for r in self.reconciliar[tabela] if r.id_legado != linha["id"]]
            self._rejeitar(tabela, linha, motivo)
        return ao_falhar

    def _esconder(self, valor: Any) -> Any:
        """Portal passwords never travel into the new database inside logs or JSON (defence in depth)."""
        return regras.esconder(valor, self.senhas_portal)

    # ------------------------------------------------------------------ operadoras
    def operadoras(self) -> None:
        def tratar(s: Session, linha: dict[str, Any]) -> None:
            codigo = regras.codigo_operadora(linha["codigo"])
            if codigo != (linha["codigo"] or "").strip():
                self.r.conversoes[f"operadoras: código {linha['codigo']} → {codigo}"] += 1
            if codigo == regras.PSEUDO_OPERADORA_SAT:
                self._rejeitar("operadoras", linha, "pseudo-operadora SAT não é uma operadora: não importada")
                return
            valores = dict(nome=(linha["nome"] or codigo)[:100], codigo=codigo, possui_rpa=bool(linha["possui_rpa"]),
                           status_ativo=linha["status_ativo"] is not False, url_portal=linha["url_portal"],
                           classe_rpa=linha["classe_rpa"], configuracao_rpa=linha["configuracao_rpa"])
            acao, _ = self.g.aplicar(
                s, "operadoras", Operadora, linha["id"], valores, impressao(valores), mapa, id_preferido=linha["id"],
                extras={"data_criacao": linha["data_criacao"]},
                existente=lambda: s.scalar(select(Operadora).where(Operadora.codigo == codigo)))
            self._contar("operadoras", linha["id"], acao, f"operadora {codigo} já existia no sistema novo: mantida")
            self.codigos[linha["id"]] = codigo
            self.reconciliar["operadoras"].append(LinhaLegado(linha["id"]))

        with self.g.sessao() as s:
            mapa = self.g.mapeamentos(s, "operadoras")
        self.g.em_lotes(self.legado["operadoras"], tratar, self._falhou("operadoras"))

    # ------------------------------------------------------------------ usuarios (+ users)
    def usuarios(self) -> None:
        contas = defaultdict(list)
        for conta in self.legado["users"]:
            email = (conta["email"] or "").strip().lower()
            if not email:
                self.r.problema("users", conta["id"], "conta sem e-mail (login GitHub): não migrada; o sistema novo "
                                                      "entra por e-mail e senha", rejeitado=True)
                continue
            contas[email].append(conta)
        perfis = defaultdict(list)
        for perfil in sorted(self.legado["usuarios"], key=lambda u: (str(u["data_criacao"]), u["id"])):
            perfis[(perfil["email"] or "").strip().lower()].append(perfil)
        emails = sorted(set(contas) | set(perfis))

        def tratar(s: Session, email: str) -> None:
            perfil_rows, conta_rows = perfis.get(email, []), contas.get(email, [])
            principal = perfil_rows[0] if perfil_rows else None
            conta = conta_rows[0] if conta_rows else None
            if not email or "@" not in email:
                for p in perfil_rows:
                    self._rejeitar("usuarios", p, f"e-mail {p['email']!r} inválido: o login do sistema novo é o e-mail")
                return
            for extra in perfil_rows[1:]:
                self.r.problema("usuarios", extra["id"], f"e-mail {extra['email']} repetido (maiúsculas/minúsculas):"
                                                         " unificado com o primeiro perfil")
            if principal is None:
                perfil = "ADMINISTRADOR" if conta["is_admin"] else "OPERADOR"
                ativo = bool(conta["is_admin"])
                self.r.problema("users", conta["id"], f"{email} só existe em users (auto-cadastro): importado como "
                                                      f"{perfil}{'' if ativo else ', inativo — ative-o se for da BEG'}")
                id_legado, tabela, nome, telefone = f"users:{conta['id']}", "users", conta["username"] or email, None
            else:
                perfil = (principal["perfil_usuario"] or "").strip().upper()
                if perfil not in {p.value for p in PERFIS_DE_PESSOAS}:
                    self.r.problema("usuarios", principal["id"], f"perfil {perfil!r} desconhecido: importado OPERADOR")
                    perfil = "OPERADOR"
                ativo = principal["status_ativo"] is not False
                id_legado, tabela, nome, telefone = (principal["id"], "usuarios", principal["nome_completo"],
                                                     principal["telefone"])
            senha_hash = senhas.hash_importado(conta["password"] if conta else None,
                                               principal["password_hash"] if principal else None)
            if conta is None and senha_hash == senhas.SEM_SENHA:
                self.r.problema("usuarios", principal["id"], f"{email} não tem conta de login (users) no legado: "
                                                             "um administrador define a senha no sistema novo")
            if conta is not None and conta["password"] is not None and senha_hash == senhas.SEM_SENHA:
                self.r.problema("users", conta["id"], "senha do legado em formato desconhecido: defina uma nova")
            valores = dict(nome_completo=(nome or email)[:200], email=email, telefone=(telefone or None),
                           perfil_usuario=perfil, status_ativo=ativo, senha_hash=senha_hash)
            mapa = mapas[tabela]
            acao, novo_id = self.g.aplicar(
                s, tabela, Usuario, id_legado if tabela == "usuarios" else str(conta["id"]), valores,
                impressao(valores), mapa, id_preferido=principal["id"] if principal else None,
                extras={"data_criacao": principal["data_criacao"] if principal else None},
                existente=lambda: s.scalar(select(Usuario).where(func.lower(Usuario.email) == email)))
            self._contar("usuarios", id_legado, acao, f"{email} já existia no sistema novo: mantido como está")
            for extra in perfil_rows[1:]:
                self.g.mapear_alias(s, "usuarios", extra["id"], novo_id, "alias", mapas["usuarios"])
            if principal is not None:
                for c in conta_rows:
                    self.g.mapear_alias(s, "users", str(c["id"]), novo_id, "alias", mapas["users"])
            self.reconciliar["usuarios"].append(LinhaLegado(id_legado, id_novo=str(novo_id)))

        with self.g.sessao() as s:
            mapas = {t: self.g.mapeamentos(s, t) for t in ("usuarios", "users")}
        self.g.em_lotes(emails, tratar, lambda email, motivo: self.r.problema("usuarios", email, motivo, True))
        self.mapa_usuarios = {**{f"users:{k}": m.id_novo for k, m in mapas["users"].items()},
                              **{k: m.id_novo for k, m in mapas["usuarios"].items()}}

    def _usuario(self, id_legado: str | None, tabela: str, linha_id: str, papel: str) -> uuid.UUID | None:
        if not id_legado:
            return None
        novo = self.mapa_usuarios.get(id_legado) or (
            self.mapa_usuarios.get(f"users:{id_legado}") if id_legado.isdigit() else None)
        if novo is None:
            self.r.problema(tabela, linha_id, f"{papel} {id_legado} não existe entre os usuários: deixado vazio")
            return None
        if id_legado.isdigit():
            self.r.conversoes[f"{tabela}: {papel} gravado como users.id inteiro → usuário por e-mail"] += 1
        return uuid.UUID(novo)

    # ------------------------------------------------------------------ clientes
    def clientes(self) -> None:
        with self.g.sessao() as s:
            mapa = self.g.mapeamentos(s, "clientes")
            operadoras = {k: m.id_novo for k, m in self.g.mapeamentos(s, "operadoras").items()}

        def tratar(s: Session, linha: dict[str, Any]) -> None:
            operadora = operadoras.get(linha["operadora_id"] or "")
            if operadora is None:
                self._rejeitar("clientes", linha, "operadora do cliente não foi importada (inexistente ou SAT)")
                return
            cnpj = _NAO_ALFANUM.sub("", linha["cnpj"] or "").upper()
            if len(cnpj) != 14:
                self._rejeitar("clientes", linha, f"CNPJ {linha['cnpj']!r} não tem 14 caracteres: corrija no legado")
                return
            longos = [c for c, limite in (("servico", 100), ("unidade", 200), ("filtro", 200), ("razao_social", 300),
                                          ("nome_sat", 300), ("login_portal", 200))
                      if len(linha[c] or "") > limite]
            if longos:
                self._rejeitar("clientes", linha, f"campo(s) {', '.join(longos)} longo(s) demais para o sistema novo")
                return
            if cnpj != (linha["cnpj"] or ""):
                self.r.conversoes["clientes: CNPJ com pontuação → só caracteres"] += 1
            observacoes, cpf = None, None
            if linha["cpf"]:
                try:
                    cpf = validar_cpf(linha["cpf"])
                except ValueError:
                    observacoes = f"CPF no legado (não é um CPF válido): {linha['cpf']}"
                    self.r.problema("clientes", linha["id"], "CPF inválido ou texto livre: guardado em observações")
            valores = dict(hash_unico=linha["hash_unico"], razao_social=linha["razao_social"] or cnpj,
                           nome_sat=linha["nome_sat"], cnpj=cnpj, operadora_id=uuid.UUID(operadora),
                           filtro=linha["filtro"] or "", servico=linha["servico"] or "", dados_sat=linha["dados_sat"],
                           unidade=linha["unidade"] or "", site_emissao=linha["site_emissao"],
                           login_portal=linha["login_portal"], cpf=cpf, observacoes=observacoes,
                           status_ativo=linha["status_ativo"] is not False)
            hash_linha = impressao(valores)
            m = mapa.get(linha["id"])
            senha = linha["senha_portal"] or None
            senha_mudou = False
            if m is not None and m.hash_gravado is not None:
                atual = s.get(Cliente, uuid.UUID(m.id_novo))
                atual_senha = self.ctx.cofre.decifrar(atual.senha_portal) if atual and atual.senha_portal else None
                senha_mudou = atual is not None and atual_senha != senha
                if atual is not None and not senha_mudou:
                    valores["senha_portal"] = atual.senha_portal  # unchanged: keep the ciphertext as it is
            if "senha_portal" not in valores:
                valores["senha_portal"] = self.ctx.cofre.cifrar(senha) if senha else None
            chave = (cnpj, uuid.UUID(operadora), valores["filtro"], valores["unidade"], valores["servico"])
            acao, _ = self.g.aplicar(
                s, "clientes", Cliente, linha["id"], valores, hash_linha, mapa, id_preferido=linha["id"],
                extras={"data_criacao": linha["data_criacao"]},
                mudou=senha_mudou,
                existente=lambda: s.scalar(select(Cliente).where(
                    Cliente.cnpj == chave[0], Cliente.operadora_id == chave[1], Cliente.filtro == chave[2],
                    Cliente.unidade == chave[3], Cliente.servico == chave[4])))
            self._contar("clientes", linha["id"], acao, "cliente com a mesma chave (CNPJ, operadora, filtro, unidade, "
                                                        "serviço) já existia no sistema novo: mantido")
            self.reconciliar["clientes"].append(LinhaLegado(linha["id"]))

        self.g.em_lotes(self.legado["clientes"], tratar, self._falhou("clientes"))

    # ------------------------------------------------------------------ processos
    def processos(self) -> None:
        with self.g.sessao() as s:
            mapa = self.g.mapeamentos(s, "processos")
            clientes = {k: m.id_novo for k, m in self.g.mapeamentos(s, "clientes").items()}
        operadora_do_cliente = {c["id"]: self.codigos.get(c["operadora_id"] or "") for c in self.legado["clientes"]}
        self.status_novo: dict[str, regras.StatusProcesso] = {}

        def tratar(s: Session, linha: dict[str, Any]) -> None:
            chaves = dict(status=linha["status_processo"], mes=linha["mes_ano"], valor=linha["valor_fatura"])
            try:
                status = regras.status_canonico(linha["status_processo"], bool(linha["aprovado_por_usuario_id"]))
                particao = calendario.particao_de_mes_ano(linha["mes_ano"] or "")
            except ValueError as exc:
                self._rejeitar("processos", linha, str(exc), **chaves)
                return
            chaves["status"] = status.value
            cliente = clientes.get(linha["cliente_id"] or "")
            if cliente is None:
                self._rejeitar("processos", linha, "cliente do processo não foi importado", **chaves)
                return
            if status.value != linha["status_processo"]:
                self.r.conversoes[f"processos: status {linha['status_processo']} → {status.value}"] += 1
            self.status_novo[linha["id"]] = status
            aprovador = self._usuario(linha["aprovado_por_usuario_id"], "processos", linha["id"], "aprovador")
            if aprovador is None and status in (regras.S.AGUARDANDO_ENVIO_SAT, regras.S.UPLOAD_REALIZADO):
                self.r.problema("processos", linha["id"], f"{status.value} sem aprovador no legado")
            vencimento = regras.corrigir_vencimento(linha["data_vencimento"], linha["mes_ano"])
            if vencimento.problema:
                self.r.problema("processos", linha["id"], vencimento.problema)
            enviado = bool(linha["enviado_para_sat"]) or status is regras.S.UPLOAD_REALIZADO
            if enviado != bool(linha["enviado_para_sat"]):
                self.r.conversoes["processos: enviado_para_sat falso em UPLOAD_REALIZADO → verdadeiro"] += 1
            valores = dict(
                cliente_id=uuid.UUID(cliente), mes_ano=linha["mes_ano"], status_processo=status.value,
                url_fatura=linha["url_fatura"], caminho_s3_fatura=linha["caminho_s3_fatura"],
                fatura_s3_key=None, fatura_filename=linha["fatura_filename"], fatura_sha256=None,
                data_vencimento=vencimento.data, valor_fatura=linha["valor_fatura"], aprovado_por_usuario_id=aprovador,
                data_aprovacao=linha["data_aprovacao"], enviado_para_sat=enviado,
                data_envio_sat=linha["data_envio_sat"], tentativas_download=linha["tentativas_download"] or 0,
                ultima_tentativa_download=linha["ultima_tentativa_download"],
                tentativas_upload_sat=linha["tentativas_upload_sat"] or 0,
                ultima_tentativa_upload_sat=linha["ultima_tentativa_upload_sat"],
                upload_manual=bool(linha["upload_manual"]), data_upload_manual=linha["data_upload_manual"],
                criado_automaticamente=linha["criado_automaticamente"] is not False,
                observacoes=linha["observacoes"])
            ref = regras.referencia_pdf(linha["fatura_s3_key"], linha["caminho_s3_fatura"], linha["url_fatura"])
            tamanho = self._tamanho_pdf(linha["id"], ref)
            hash_linha = impressao({**valores, "pdf": ref.chave, "pdf_tamanho": tamanho})
            m = mapa.get(linha["id"])
            pdf = None
            if tamanho is not None and not (m is not None and m.hash_da_linha == hash_linha):
                pdf = self._copiar_pdf(linha, ref.chave, particao, operadora_do_cliente.get(linha["cliente_id"]), m)
                if pdf is not None:
                    valores.update(fatura_s3_key=pdf[0], caminho_s3_fatura=pdf[0], fatura_sha256=pdf[1])
            acao, novo_id = self.g.aplicar(
                s, "processos", Processo, linha["id"], valores, hash_linha, mapa, id_preferido=linha["id"],
                extras={"data_criacao": linha["data_criacao"]},
                sha256_pdf=pdf and pdf[1],
                existente=lambda: s.scalar(select(Processo).where(Processo.cliente_id == valores["cliente_id"],
                                                                  Processo.mes_ano == valores["mes_ano"])))
            self._contar("processos", linha["id"], acao, "já havia processo deste cliente e mês no sistema novo: "
                                                         "mantido")
            self.reconciliar["processos"].append(LinhaLegado(linha["id"], id_novo=str(novo_id), **chaves))

        self.g.em_lotes(sorted(self.legado["processos"], key=lambda p: p["id"]), tratar, self._falhou("processos"))

    def _tamanho_pdf(self, processo: str, ref: regras.ReferenciaPdf) -> int | None:
        if ref.problema:
            self.r.pdfs["fora do bucket beg"] += 1
            self.r.problema("processos", processo, ref.problema)
        if ref.chave is None:
            return None
        try:
            tamanho = self.origem.tamanho(ref.chave)
        except ChavePdfInvalida as exc:
            self.pdfs_nao_copiados.add(processo)
            self.r.problema("processos", processo, f"PDF: {exc}")
            return None
        if tamanho is None:
            self.pdfs_nao_copiados.add(processo)
            self.r.pdfs["ausentes"] += 1
            self.r.problema("processos", processo, f"PDF ausente na cópia do bucket: {ref.chave}")
        return tamanho

    def _copiar_pdf(self, linha: dict[str, Any], chave_legado: str, particao: str, operadora: str | None,
                    mapeado: Any) -> tuple[str, str] | None:
        dados = self.origem.ler(chave_legado)
        sha = sha256_hex(dados)
        processo_id = mapeado.id_novo if mapeado is not None else linha["id"]
        try:
            chave = chave_fatura(particao, operadora or "SEM_OPERADORA", processo_id, sha)
        except ChaveInvalida as exc:
            self.pdfs_nao_copiados.add(linha["id"])
            self.r.problema("processos", linha["id"], f"PDF não copiado: {exc}")
            return None
        if not dados.startswith(b"%PDF-"):
            self.r.problema("processos", linha["id"], f"{chave_legado} não parece um PDF: copiado assim mesmo")
        if not self.g.dry_run:
            self.store.put(chave, dados, "application/pdf")
        self.r.pdfs["copiados" if not self.g.dry_run else "a copiar"] += 1
        return chave, sha

    # ------------------------------------------------------------------ execucoes
    def execucoes(self) -> None:
        with self.g.sessao() as s:
            mapa = self.g.mapeamentos(s, "execucoes")
            processos = {k: m.id_novo for k, m in self.g.mapeamentos(s, "processos").items()}
            do_legado = {m.id_novo for m in mapa.values()}
            em_andamento = {(str(p), t) for i, p, t in s.execute(  # runs of the new system itself
                select(Execucao.id, Execucao.processo_id, Execucao.tipo_execucao)
                .where(Execucao.status_execucao == StatusExecucao.EXECUTANDO.value)) if str(i) not in do_legado}
        tentativas = [regras.Tentativa(e["id"], processos.get(e["processo_id"] or "", ""),
                                       (e["tipo_execucao"] or "").strip().upper(), e["status_execucao"], e["job_id"],
                                       e["data_inicio"] or self.g.momento)
                      for e in self.legado["execucoes"]]
        status_por_novo = {processos[k]: v for k, v in self.status_novo.items() if k in processos}
        decididos = regras.status_das_tentativas(tentativas, status_por_novo, em_andamento)
        ordem = sorted(self.legado["execucoes"], key=lambda e: (e["data_inicio"] or self.g.momento, e["id"]))

        def tratar(s: Session, linha: dict[str, Any]) -> None:
            status, nota = decididos[linha["id"]]
            chaves = dict(status=status.value)
            processo = processos.get(linha["processo_id"] or "")
            if processo is None:
                self._rejeitar("execucoes", linha, "processo da execução não foi importado", **chaves)
                return
            try:
                tipo = TipoExecucao((linha["tipo_execucao"] or "").strip().upper())
            except ValueError:
                self._rejeitar("execucoes", linha, f"tipo_execucao {linha['tipo_execucao']!r} desconhecido", **chaves)
                return
            if nota:
                self.r.conversoes[f"execucoes: {nota}"] += 1
            detalhes = self._esconder(linha["detalhes_erro"])
            if nota:
                detalhes = {**(detalhes if isinstance(detalhes, dict) else {"legado": detalhes}),
                            "importacao": nota, "status_legado": linha["status_execucao"]}
            valores = dict(
                processo_id=uuid.UUID(processo), tipo_execucao=tipo.value, status_execucao=status.value,
                classe_rpa_utilizada=linha["classe_rpa_utilizada"], job_id=linha["job_id"],
                parametros_entrada=self._esconder(linha["parametros_entrada"]),
                resultado_saida=self._esconder(linha["resultado_saida"]), detalhes_erro=detalhes,
                data_inicio=linha["data_inicio"] or self.g.momento, data_fim=linha["data_fim"],
                mensagem_log=self._esconder(linha["mensagem_log"]), url_arquivo_s3=linha["url_arquivo_s3"],
                executado_por_usuario_id=self._usuario(linha["executado_por_usuario_id"], "execucoes", linha["id"],
                                                       "executor"),
                ip_origem=(linha["ip_origem"] or "")[:64] or None, user_agent=(linha["user_agent"] or "")[:500] or None)
            hash_linha = impressao(valores)
            m = mapa.get(linha["id"])
            extras = None
            if m is None:
                numero = (s.scalar(select(func.max(Execucao.numero_tentativa)).where(
                    Execucao.processo_id == valores["processo_id"], Execucao.tipo_execucao == tipo.value)) or 0) + 1
                if numero != linha["numero_tentativa"]:
                    self.r.conversoes["execucoes: numero_tentativa renumerado (repetido ou fora de ordem)"] += 1
                extras = {"numero_tentativa": numero}
            acao, novo_id = self.g.aplicar(s, "execucoes", Execucao, linha["id"], valores, hash_linha, mapa,
                                           id_preferido=linha["id"], processo_id=valores["processo_id"],
                                           extras=extras)
            self._contar("execucoes", linha["id"], acao)
            self.reconciliar["execucoes"].append(LinhaLegado(linha["id"], id_novo=str(novo_id), **chaves))

        self.g.em_lotes(ordem, tratar, self._falhou("execucoes"))

    def _pdfs_referenciados(self) -> list[PdfLegado]:
        pdfs = []
        for linha in self.legado["processos"]:
            ref = regras.referencia_pdf(linha["fatura_s3_key"], linha["caminho_s3_fatura"], linha["url_fatura"])
            if ref.chave:
                rejeitado = ("processos", linha["id"]) in self.rejeitados or linha["id"] in self.pdfs_nao_copiados
                pdfs.append(PdfLegado(linha["id"], rejeitado))
        return pdfs

    def executar(self) -> RelatorioLegado:
        with self.g.simulacao():
            self.operadoras()
            self.usuarios()
            self.clientes()
            self.processos()
            self.execucoes()
            with self.g.sessao() as s:
                self.r.reconciliacao = reconciliar(s, self.reconciliar, self.g.campos)
                reconciliar_pdfs(s, self.r.reconciliacao, self._pdfs_referenciados(),
                                 self.g.campos.get("processos", []), None if self.g.dry_run else self.store)
        return self.r


def importar_legado(ctx: Contexto, ator: Ator, leitor: LeitorLegado, origem: Origem, store: ObjectStore, *,
                    dry_run: bool = False) -> RelatorioLegado:
    """Import (or with ``dry_run`` only simulate) the legacy database and its PDFs; ends with the reconciliation."""
    ator.exigir(Permissao.GERIR_CADASTROS)
    if not inspect(ctx.db.engine).has_table(LegadoMapeamento.__tablename__):
        raise RegraViolada("O banco do sistema novo não tem as migrações mais recentes: rode `beg db upgrade` antes.")
    relatorio = _Importacao(ctx, ator, leitor, origem, store, dry_run).executar()
    if not dry_run:
        relatorio.arquivos = guardar_relatorios(store, relatorio)
    return relatorio

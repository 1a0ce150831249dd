"""The monthly partitions: ``2026-11-01`` is mes_ano ``11/2026``; the current month is included.

The code location's partitions start at BEG_PARTITIONS_START, read when the definitions are built
(``beg_pipeline.definitions.construir_definicoes``), never at import. The asset modules declare their assets on
``PARTICOES_PADRAO`` (the setting's default start, no environment read) so tests and tools can materialize them
directly; the definitions move them onto the configured partitions.
"""

import datetime as dt

import dagster as dg

from beg_pipeline.settings import Settings

FUSO = "America/Sao_Paulo"


def _mensais(inicio: dt.date) -> dg.MonthlyPartitionsDefinition:
    return dg.MonthlyPartitionsDefinition(start_date=inicio.isoformat(), timezone=FUSO, end_offset=1)


def particoes_mensais(settings: Settings) -> dg.MonthlyPartitionsDefinition:
    return _mensais(settings.partitions_start)


PARTICOES_PADRAO = _mensais(Settings.model_fields["partitions_start"].default)


def nas_particoes(ativo: dg.AssetsDefinition, particoes: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    """``ativo`` with the same key, code and dependencies, on ``particoes``."""
    return ativo.map_asset_specs(lambda spec: spec.replace_attributes(partitions_def=particoes))

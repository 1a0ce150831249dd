"""The monthly partitions: ``2026-11-01`` is mes_ano ``11/2026``; the current month is included."""

import dagster as dg

from beg_pipeline.settings import load_settings

FUSO = "America/Sao_Paulo"


def particoes_mensais_de(start: str) -> dg.MonthlyPartitionsDefinition:
    return dg.MonthlyPartitionsDefinition(start_date=start, timezone=FUSO, end_offset=1)


particoes_mensais = particoes_mensais_de(load_settings().partitions_start.isoformat())

"""The RPA robot API: contract and client (``contrato``), batch runner (``lote``), local simulator."""

"""Importação de dados legados (CSV de clientes exportado pela BEG)."""

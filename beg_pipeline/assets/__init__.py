"""Monthly assets: processes, invoice downloads, SAT uploads and the report."""

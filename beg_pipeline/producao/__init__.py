"""Production topology: Dagster runs launched onto Celery workers (see README "Produção")."""

"""Migration from the legacy Flask system: ``beg legado importar`` (read, map, import, reconcile)."""

"""Pure business rules: no framework, no database."""

"""Asset checks per monthly partition."""

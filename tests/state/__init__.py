"""Tests of tripl_cli.state: the same suite on SQLite and PostgreSQL."""

"""Layer 6: the typer app — parse flags, call `tripl_cli.api`, render. Only it prints."""

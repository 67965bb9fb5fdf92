"""The installed tripl's version: `tripl --version`, runs, schema upgrades and manifests."""

from __future__ import annotations

from importlib import metadata


def installed_version() -> str:
    try:
        return metadata.version("tripl")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"

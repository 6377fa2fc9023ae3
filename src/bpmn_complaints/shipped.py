"""Where the folders that ship with the package are: ``web/`` and ``processes/``."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def shipped_folder(name: str) -> Path:
    """``web/`` or ``processes/``: packaged inside the package in a wheel, or at the top
    of a checkout."""
    for candidate in (ROOT / name, ROOT.parents[1] / name):
        if candidate.is_dir():
            return candidate
    return ROOT / name

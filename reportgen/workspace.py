"""Where reportgen finds its own files and keeps its cache — resolved in this one place.

* **Resources** (the HTML templates and the preview's page, the fonts, the shared report structures
  ``config/reports/``): from the installed package (``reportgen/_resources/``, put there by the wheel's
  build) or, in a source checkout, from the project folder.  Found with :mod:`importlib.resources`, so the
  package works from any current directory.
* **The cache** (charts, checked records, derived files, photos): ``$REPORTGEN_CACHE``; else ``.cache/`` in a
  source checkout (as before, ignored by git); else the user's cache folder (``$XDG_CACHE_HOME/reportgen``,
  ``~/.cache/reportgen``) — never inside an installed package.

This module imports nothing of reportgen: every stage may use it.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGE = Path(str(resources.files("reportgen")))
SOURCE_ROOT = PACKAGE.parent
# a source checkout (or an editable install of one): pyproject.toml next to the package
IN_CHECKOUT = (SOURCE_ROOT / "pyproject.toml").is_file() and not (PACKAGE / "_resources").is_dir()
RESOURCES = SOURCE_ROOT if IN_CHECKOUT else PACKAGE / "_resources"
# kept for the places that name the project folder in messages (paths shown relative to it)
PROJECT_ROOT = SOURCE_ROOT if IN_CHECKOUT else Path.cwd()

TEMPLATES = RESOURCES / "templates"
FONTS_DIR = RESOURCES / "fonts"
SHARED_REPORTS = RESOURCES / "config" / "reports"


def cache_dir() -> Path:
    env = os.environ.get("REPORTGEN_CACHE")
    if env:
        return Path(env)
    if IN_CHECKOUT:
        return SOURCE_ROOT / ".cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reportgen"

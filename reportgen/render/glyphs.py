"""Missing-glyph check: every character printed must exist in one of the embedded fonts."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

IGNORED = set(" \t\r\n\u00a0\u3000\u200b\ufeff")


@lru_cache(maxsize=None)
def _cmap(path: str) -> frozenset[int]:
    font = TTFont(path, lazy=True, fontNumber=0)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def missing_glyphs(text: str, font_files: list[Path]) -> list[str]:
    covered: set[int] = set()
    for f in font_files:
        covered |= _cmap(str(f))
    return sorted({ch for ch in text if ch not in IGNORED and ord(ch) not in covered})

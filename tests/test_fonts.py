"""Every name the configuration can print has its glyph in each face it may be set in: no character falls
back to another style (a 楷体 or 黑体 glyph inside 仿宋 text)."""

from functools import lru_cache

import pytest
from fontTools.ttLib import TTFont

from .conftest import ROOT

FONTS = ROOT / "fonts"
FACES = {
    "仿宋 (body)": ["FandolFang-Regular.otf", "cwfs.ttf"],          # report.css: FandolFang, then cwTeX 仿宋
    "黑体 (headings 一、, tables, charts)": ["NotoSansCJKsc-Regular.otf"],
    "楷体 (headings （一）)": ["ARPLUKaiCN.ttf"],
}


@lru_cache(maxsize=None)
def covered(files: tuple[str, ...]) -> frozenset[int]:
    out: set[int] = set()
    for f in files:
        out |= set(TTFont(str(FONTS / f), lazy=True).getBestCmap())
    return frozenset(out)


def config_text() -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (ROOT / "config").rglob("*.yaml"))


@pytest.mark.parametrize("face", list(FACES))
def test_every_character_of_the_configuration_is_in_the_face(face):
    have = covered(tuple(FACES[face]))
    text = config_text()
    missing = sorted({c for c in text if ord(c) >= 0x3400 and ord(c) not in have})
    assert missing == [], (face, missing)


def test_the_street_that_needed_a_second_fangsong_face():
    # 漷县镇 (通州区): FandolFang has no 漷; cwTeX 仿宋 sets it in the same style
    assert ord("漷") not in covered(("FandolFang-Regular.otf",))
    assert ord("漷") in covered(tuple(FACES["仿宋 (body)"]))
    assert "漷县镇" in (ROOT / "config" / "beijing" / "streets.yaml").read_text(encoding="utf-8")

"""Extract the Simplified-Chinese faces of Debian's Noto CJK (and AR PL UKai) collections into single font files.

fontconfig picks the SC face of a .ttc by name, but WeasyPrint's @font-face loads face 0 of a
collection (the Japanese one, with Japanese glyph forms), so the report ships single-face files.
"""
import sys
from pathlib import Path

from fontTools.ttLib import TTCollection

WANTED = {
    "NotoSansCJKsc-Regular.otf": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    "NotoSansCJKsc-Bold.otf": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", "Noto Sans CJK SC"),
    "NotoSerifCJKsc-Bold.otf": ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc", "Noto Serif CJK SC"),
    # 楷体: AR PL UKai, the mainland face of the collection
    "ARPLUKaiCN.ttf": ("/usr/share/fonts/truetype/arphic/ukai.ttc", "AR PL UKai CN"),
}


def main(out_dir: str) -> None:
    out = Path(out_dir)
    out.mkdir(exist_ok=True)
    for name, (ttc, family) in WANTED.items():
        target = out / name
        if target.exists():
            continue
        for font in TTCollection(ttc).fonts:
            if font["name"].getDebugName(1) == family:
                tmp = target.with_suffix(".tmp")
                font.save(tmp)
                tmp.replace(target)
                break
        else:
            raise SystemExit(f"字体集合 {ttc} 中没有 {family}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fonts")

"""四、当月典型案例: the district office's own Markdown and photos, laid out as a typesetter would.

The text lives in the district's folder for the period (``case.md`` beside its photos).  Each
Markdown paragraph becomes one block:

* a paragraph of photos only (``![说明](a.jpg) ![说明](b.jpg)``) → a row of photos between the
  paragraphs, all of one height, filling the text width, each with its caption underneath;
* a photo together with text in one paragraph (``![说明](c.jpg) 正文……``) → the photo beside the
  paragraph (floated right, the text running round it);
* text only → a paragraph (Markdown without HTML or links, as all analysts' text).

Photos may only come from the district's folder.  They are turned upright (EXIF orientation),
scaled down to the printed size at 300 dpi, stripped of their metadata (a phone photo's EXIF may
hold the place it was taken) and cached by content, so the PDF stays small and a rerun is
byte-identical.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

from pydantic import Field

from ..atomic import write_atomic
from ..config.load import display_path
from ..config.models import SectionSpec
from ..config.sections import SectionParams
from ..errors import ConfigError
from .build import BuildContext, section
from .document import Photo, Photos

IMAGE = re.compile(r'!\[([^\]]*)\]\(\s*<?([^)>\s]+)>?(?:\s+"([^"]*)")?\s*\)')
TEXT_WIDTH_MM = 156.0
GAP_MM = 6.0
BESIDE_WIDTH_MM = 64.0
MAX_ROW_HEIGHT_MM = 72.0
DPI = 300


def _cache() -> Path:
    from ..workspace import cache_dir

    return cache_dir() / "photos"


def scaled_copy(path: Path, width_mm: float, where: str) -> tuple[Path, float]:
    """The photo upright, at most ``DPI`` at ``width_mm``, as a metadata-free JPEG in the cache.

    Returns the copy and the photo's height / width."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    data = path.read_bytes()
    try:
        with Image.open(io.BytesIO(data)) as im:
            im = ImageOps.exif_transpose(im)
            ratio = im.height / im.width
            target = round(width_mm / 25.4 * DPI)
            key = hashlib.sha256(data + f"|{target}|v1".encode()).hexdigest()[:32]
            out = _cache() / f"{key}.jpg"
            if not out.exists():
                if im.width > target:
                    im = im.resize((target, max(1, round(target * ratio))), Image.Resampling.LANCZOS)
                buf = io.BytesIO()
                im.convert("RGB").save(buf, "JPEG", quality=85, optimize=True, progressive=False)
                write_atomic(out, buf.getvalue(), durable=False)   # a cache: a lost copy is scaled again
    except (UnidentifiedImageError, OSError) as exc:
        raise ConfigError(f"配置错误：{where}，图片 {display_path(path)} 无法读取（{exc.__class__.__name__}）。"
                          "请使用 JPEG 或 PNG 照片。") from None
    return out, ratio


def photo_ratio(path: Path, where: str) -> float:
    """height / width of the photo as shown (after its EXIF orientation)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1)
    except (UnidentifiedImageError, OSError) as exc:
        raise ConfigError(f"配置错误：{where}，图片 {display_path(path)} 无法读取（{exc.__class__.__name__}）。"
                          "请使用 JPEG 或 PNG 照片。") from None
    return w / h if orientation in (5, 6, 7, 8) else h / w


def _photo_path(folder: Path, target: str, where: str) -> Path:
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):
        raise ConfigError(f"配置错误：{where}，图片 “{target}” 是网址；照片只能放在本区的文件夹 {display_path(folder)} 中。")
    path = (folder / target).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise ConfigError(f"配置错误：{where}，图片 “{target}” 不在本区的文件夹 {display_path(folder)} 中。")
    if not path.is_file():
        raise ConfigError(f"配置错误：{where}，找不到图片 “{target}”（应在 {display_path(folder)} 中）。")
    return path


class CaseParams(SectionParams):
    file: str = Field("case.md", description="区文件夹中案例的 Markdown 文件名")


@section("case", params=CaseParams, needs=())
def case(ctx: BuildContext, spec: SectionSpec, level: int) -> None:
    params = ctx.params(spec, CaseParams)
    folder = ctx.cfg.district_dir
    name = params.file
    path = folder / name if folder is not None else None
    if path is None or not path.is_file():
        shown = display_path(path) if path is not None else f"期间文件的 district_folder 中的 {name}"
        ctx.doc.notices.append(f"提示：{ctx.cfg.district or ''}没有{spec.title}（未找到 {shown}），这一部分从略。")
        ctx.doc.omitted.append(spec.title)
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"配置错误：文件 {display_path(path)} 不是 UTF-8 编码（第 {exc.start} 字节）。请另存为 UTF-8。") from None
    assert folder is not None
    ctx.heading(level, spec.title)
    line = 1
    n = 0
    for chunk in re.split(r"(\n[ \t]*\n)", text):
        start = line
        line += chunk.count("\n")
        if not chunk.strip():
            continue
        n += 1
        where = f"文件 {display_path(path)} 第 {start + chunk[:len(chunk) - len(chunk.lstrip())].count(chr(10))} 行"
        images = IMAGE.findall(chunk)
        rest = IMAGE.sub("", chunk).strip()
        pid = f"{spec.id}.{n}"
        paths = [_photo_path(folder, target, where) for _, target, _ in images]
        if images and not rest:
            ctx.add(Photos(pid, _row(paths, [c for c, _, _ in images], where)))
            continue
        para = ctx.analyst_text(pid, rest, ctx.base_vars(), where)
        para.overridden = False
        para.commentary = False
        if not images:
            ctx.add(para)
        elif len(images) == 1:
            src, ratio = scaled_copy(paths[0], BESIDE_WIDTH_MM, where)
            photo = Photo(src, images[0][0], BESIDE_WIDTH_MM, round(BESIDE_WIDTH_MM * ratio, 2), paths[0])
            ctx.add(Photos(pid, [photo], "beside", para.html))
        else:
            ctx.add(para)
            ctx.add(Photos(f"{pid}.photos", _row(paths, [c for c, _, _ in images], where)))


def _row(paths: list[Path], captions: list[str], where: str) -> list[Photo]:
    """Photos side by side, all of one height, together as wide as the text (at most MAX_ROW_HEIGHT_MM high)."""
    ratios = [photo_ratio(p, where) for p in paths]
    gaps = GAP_MM * (len(paths) - 1)
    height = min(MAX_ROW_HEIGHT_MM, (TEXT_WIDTH_MM - gaps) / sum(1 / r for r in ratios))
    out = []
    for p, c, r in zip(paths, captions, ratios):
        width = round(height / r, 2)
        src, _ = scaled_copy(p, width, where)
        out.append(Photo(src, c, width, round(height, 2), p))
    return out

"""Names a recipient reads: a report's file name from a pattern (朝阳区2023年10月考核期工作情况分析.pdf) and the
period as people write it (2023年10月考核期).  Shared by the batch, ``init``'s next steps and the scheduler."""

from __future__ import annotations

from pathlib import Path

NAME = "{district}{period_label}工作情况分析"          # 朝阳区2023年10月考核期工作情况分析(.pdf)
NAME_FIELDS = ("report", "period", "period_label", "district")


def period_label(key: str) -> str:
    """The period as a reader names it: '2023年10月考核期' (2023-10K), '2023年10月' (2023-10), '2023年' (2023)."""
    from .periods import parse_period

    p = parse_period(key, 19)          # the name is the end month's: the assessment day does not change it
    if p.kind == "assessment":
        return f"{p.label}考核期"
    if p.kind == "assessment_year":
        return f"{p.end.year}年全年考核期"
    return p.label


def pattern_fields(pattern: str) -> list[tuple[str, str, str | None]]:
    """The placeholders of a name pattern (name, format spec, conversion); ValueError when its braces do not pair."""
    import string

    return [(name, spec or "", conv) for _, name, spec, conv in string.Formatter().parse(pattern) if name is not None]


def check_names(pattern: str) -> str | None:
    """What is wrong with ``--names`` (None: nothing): every district its own file, known placeholders only."""
    shown = "、".join("{" + f + "}" for f in NAME_FIELDS)
    try:
        fields = pattern_fields(pattern)
    except ValueError:
        return f"--names “{pattern}” 的花括号不成对：占位符写成 {{district}} 这样，可用的有 {shown}。"
    for name, spec, conv in fields:
        if name not in NAME_FIELDS or spec or conv:
            return f"--names “{pattern}” 中的 {{{name}}} 不是可用的占位符；可用的有 {shown}（不带格式）。"
    if "district" not in {n for n, _, _ in fields}:
        return (f"--names “{pattern}” 中没有 {{district}}：各区的报告会写进同一个文件、互相覆盖。"
                f"请加入 {{district}}，如 {NAME}。")
    if "/" in pattern or "\\" in pattern or pattern.strip() in ("", ".", ".."):
        return f"--names “{pattern}” 是文件名（不含扩展名 .pdf），不能含 / 或 \\；文件夹请用 --out。"
    return None


def batch_paths(out_dir: Path, districts: list[str], report: str, period: str, period_key: str,
                pattern: str = NAME) -> dict[str, Path]:
    """Each district's PDF in ``out_dir`` named by ``pattern`` (``period_key``: the period file's period, 2023-09K)."""
    label = period_label(period_key)
    return {d: out_dir / (pattern.format(report=report, period=period, period_label=label, district=d) + ".pdf")
            for d in districts}


def default_output(report: str, period: str, period_key: str, district: str | None, pattern: str = NAME) -> Path:
    """Where ``render`` writes a report without ``--out`` (and what ``init`` tells the reader to check): a
    district's in the folder the batch fills, named by ``pattern``; any other out/<report>-<period>.pdf."""
    if district:
        return batch_paths(Path("out") / f"{report}-{period}", [district], report, period, period_key, pattern)[district]
    return Path("out") / f"{report}-{period}.pdf"

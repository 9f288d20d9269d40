"""The error catalogue (docs/error-catalogue.md) written from cases.yaml: every kind of bad input and its
exact message.  ``python tests/bad_inputs/catalogue.py > docs/error-catalogue.md``; a test keeps it current."""

from __future__ import annotations

from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
KIND = {"records": "受理记录", "assessment": "考评表", "rankings": "排名表", "config": "配置（YAML）", "command": "命令"}


def load_cases() -> list[dict]:
    """cases.yaml, then every cases.d/*.yaml in name order (one file per area, so that work on different
    areas adds cases without touching the same file); ids are unique across all of them."""
    files = [HERE / "cases.yaml", *sorted((HERE / "cases.d").glob("*.yaml"))]
    cases = [c for f in files for c in (yaml.safe_load(f.read_text(encoding="utf-8")) or [])]
    ids = [c["id"] for c in cases]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise ValueError(f"bad-input case ids used twice: {dup}")
    return cases


def catalogue() -> str:
    cases = load_cases()
    out = ["# 错误提示目录（error catalogue）", "",
           "由 `tests/bad_inputs/cases.yaml` 与 `cases.d/*.yaml` 生成（`python tests/bad_inputs/catalogue.py > docs/error-catalogue.md`）；",
           "每一条都由 `pytest tests/bad_inputs` 逐字核对。“读入”表示这种输入可以正常读入；以“……”结尾的提示，其后半部分列出本机的文件夹，只核对前半部分。", ""]
    for c in cases:
        kind = next(k for k in KIND if k in c)
        out.append(f"## {c['id']} — {KIND[kind]}")
        out.append("")
        out.append(c["what"])
        out.append("")
        if "loads" in c:
            out.append(f"读入（{c['loads']}）。")
        elif "messages_start" in c:
            out += [f"> {m}……" for m in c["messages_start"]]
        else:
            out += [f"> {m}" for m in c["messages"]]
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    print(catalogue(), end="")

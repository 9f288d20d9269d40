"""Load and validate the configuration layers; one Chinese message per problem."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ConfigError
from ..workspace import PROJECT_ROOT, SHARED_REPORTS  # noqa: F401  (PROJECT_ROOT: re-exported)
from ..yamlio import YamlDoc, load_yaml
from .models import District, DistrictOverlay, PeriodFile, Profile, ReportKind, Taxonomy
from .sections import SECTION_PARAMS, SectionParams, unknown_section_ids, validate_sections

M = TypeVar("M", bound=BaseModel)

_TYPE_WORDS = {
    "string_type": "字符串",
    "int_type": "整数", "int_parsing": "整数", "int_from_float": "整数",
    "float_type": "数字", "float_parsing": "数字",
    "bool_type": "true 或 false", "bool_parsing": "true 或 false",
    "list_type": "列表（每项以 - 开头）",
    "dict_type": "映射（键: 值）", "model_type": "映射（键: 值）", "model_attributes_type": "映射（键: 值）",
    "date_type": "日期（如 2024-03-01）", "date_parsing": "日期（如 2024-03-01）",
    "date_from_datetime_parsing": "日期（如 2024-03-01）",
}


def display_path(path: Path) -> str:
    """Paths in messages: relative to the working directory (the project) when inside it, else absolute — never
    a climb of ``../..`` that a reader has to count."""
    full = os.path.abspath(path)
    here = os.getcwd()
    if full == here or full.startswith(here.rstrip(os.sep) + os.sep):
        return os.path.relpath(full, here)
    return full


def _key_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if part == "[key]":            # pydantic's mark of a mapping's key: the key itself is the part before
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "（文件顶层）"


def _yaml_repr(value: Any) -> str:
    if isinstance(value, dict):
        return "一个映射"
    if isinstance(value, list):
        return "一个列表"
    if value is None:
        return "空值"
    return f"“{value}”"


def _model_fields(model: type[BaseModel], loc: tuple) -> list[str]:
    """Field names (aliases) of the model found at ``loc`` — for 'did you mean' suggestions."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            field = next((f for f in getattr(current, "model_fields", {}).values() if f.alias == part), None)
        if field is None:
            return []
        current = _inner_model(field.annotation)
    if current is None or not hasattr(current, "model_fields"):
        return []
    return [f.alias or name for name, f in current.model_fields.items()]


def _inner_model(annotation: Any) -> Any:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def validation_problems(errors: Sequence[Any], doc: YamlDoc, model: type[BaseModel], shown: str,
                        prefix: tuple = ()) -> list[str]:
    """One Chinese line per pydantic error; ``prefix`` is the key path of ``model`` inside the file."""
    problems = []
    for err in errors:
        err = {**err, "loc": tuple(prefix) + tuple(err["loc"])}
        loc = tuple(err["loc"])
        kind = err["type"]
        line = doc.lines.get(loc[:-1]) if kind == "missing" and loc[:-1] else None if kind == "missing" else doc.line_of(loc)
        where = f"文件 {shown}" + (f" 第 {line} 行" if line else "")
        key = _key_path(doc.written_at(loc))
        given = err.get("input")
        if kind == "missing":
            text = f"缺少必填键 “{loc[-1]}”"
            key = _key_path(doc.written_at(loc[:-1]))
        elif kind == "extra_forbidden":
            known = _model_fields(model, loc[len(prefix):-1])
            guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.5)
            hint = f"，是否想写 “{guess[0]}”？" if guess else f"，可用的键：{'、'.join(known)}" if known else ""
            text = f"未知的键 “{loc[-1]}”{hint}"
        elif kind in _TYPE_WORDS:
            text = f"应为{_TYPE_WORDS[kind]}，实际为{_yaml_repr(given)}"
        elif kind == "literal_error":
            expected = str(err.get("ctx", {}).get("expected", ""))
            choices = re.findall(r"'((?:[^'\\]|\\.)*)'", expected)      # pydantic's "'a', 'b' or 'c'": no English
            text = f"应为以下之一：{'、'.join(choices) if choices else expected}，实际为{_yaml_repr(given)}"
        elif kind == "string_pattern_mismatch":
            text = f"格式不对（应匹配 {err['ctx']['pattern']}），实际为{_yaml_repr(given)}"
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            bound = next(iter(err.get("ctx", {}).values()), "")
            words = {"greater_than_equal": "不小于", "less_than_equal": "不大于",
                     "greater_than": "大于", "less_than": "小于"}[kind]
            text = f"应{words} {bound}，实际为{_yaml_repr(given)}"
        elif kind == "value_error":
            text = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            text = f"{err['msg']}（实际为{_yaml_repr(given)}）"
        problems.append((line or 10**9, f"配置错误：{where}，键 {key}：{_end(text)}"))
    return [p for _, p in sorted(problems, key=lambda x: x[0])]


def _end(text: str) -> str:
    """A sentence ends with one mark: '是否想写 “top_n”？' stays as it is, anything else gets '。'."""
    return text if text.endswith(("。", "？", "！")) else text + "。"


def located(doc: YamlDoc, shown: str, loc: tuple, text: str) -> str:
    """One problem found after validation, in the loader's words: file, line, key path, problem."""
    line = doc.line_of(loc)
    return (f"配置错误：文件 {shown}" + (f" 第 {line} 行" if line else "")
            + f"，键 {_key_path(doc.written_at(loc))}：{_end(text)}")


def _merge(base: dict, over: dict) -> dict:
    """``extends``: mappings merge key by key (wording, footnotes, captions); anything else is replaced."""
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


_EXTENDS_NAME = __import__("re").compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def _with_extends(path: Path, doc: YamlDoc, shown: str, chain: tuple[Path, ...]) -> dict:
    """The file's data with ``extends: <name>`` applied: ``<name>.yaml`` in the same folder (for a city's
    ``reports/``, else beside the city, else the shared structures), itself possibly extending another; a name with a path (``../x``), a missing
    file and a chain that comes back are refused."""
    data = doc.data
    if "extends" not in data:
        return _section_changes(data, doc, shown)
    name = data["extends"]
    line = doc.line_of(("extends",))
    where = f"配置错误：文件 {shown}" + (f" 第 {line} 行" if line else "") + "，键 extends："
    if not isinstance(name, str) or not _EXTENDS_NAME.match(name) or ".." in name:
        raise ConfigError(f"{where}应为同一文件夹（或共用的 config/reports/）中另一个结构文件的名字"
                          "（不带 .yaml，不含路径，如 “annual”），"
                          f"实际为{_yaml_repr(name)}。")
    here = chain + (path.resolve(),)
    # the structure's own folder; for a city's reports/ (beside its profile.yaml) then the structures beside the
    # city and the shared ones that come with reportgen, as report kinds are found (find_kind): a city edition
    # may extend the shared structure of the same name (its reports/annual.yaml: extends annual)
    candidates = [path.parent / f"{name}.yaml"]
    if (path.parent.parent / "profile.yaml").is_file():
        candidates += [path.parent.parent.parent / "reports" / f"{name}.yaml", SHARED_REPORTS / f"{name}.yaml"]
    places = list(dict.fromkeys(p.resolve() for p in candidates))
    found = [p for p in places if p.is_file()]
    fresh = [p for p in found if p not in here]
    if not fresh and found:
        base_path = found[0]
        ring = " → ".join(display_path(p) for p in here[here.index(base_path):] + (base_path,))
        raise ConfigError(f"{where}继承成环：{ring}。请让被继承的文件不再继承回来。")
    if not fresh:
        looked = "、".join(display_path(p) for p in places)
        raise ConfigError(f"{where}找不到被继承的文件 {looked}。" if len(places) == 1 else
                          f"{where}找不到被继承的文件 {name}.yaml（查找了 {looked}）。")
    base_path = fresh[0]
    base_shown = display_path(base_path)
    base_doc = load_yaml(base_path, display=base_shown)
    if not isinstance(base_doc.data, dict):
        raise ConfigError(f"配置错误：文件 {base_shown} 的顶层应为映射（键: 值），实际为{_yaml_repr(base_doc.data)}。")
    base = _with_extends(base_path, base_doc, base_shown, here)
    return _section_changes(_merge(base, {k: v for k, v in data.items() if k != "extends"}), doc, shown)


def _section_changes(data: dict, doc: YamlDoc, shown: str) -> dict:
    """``section_changes``: an edition's changes to the sections it inherits, by section id (anywhere in the
    tree): ``{id: x, title: …, params: {…}}`` changes section x (params merged key by key, other keys replaced),
    ``{id: x, remove: true}`` removes it, ``{id: y, before: x, type: …}`` (or ``after: x``) inserts the new section
    y beside x.  Every id named must exist (a new one must not), else the file, line and key are named."""
    changes = data.get("section_changes")
    if changes is None:
        return data
    data = {k: v for k, v in data.items() if k != "section_changes"}

    def fail(loc: tuple, text: str) -> NoReturn:
        raise ConfigError(located(doc, shown, loc, text))

    if not isinstance(changes, list):
        fail(("section_changes",), f"应为列表（每项以 id 指明一个章节），实际为{_yaml_repr(changes)}")
    sections = [dict(x) for x in data.get("sections") or [] if isinstance(x, dict)]

    def ids(secs: list) -> list[str]:
        out = []
        for x in secs:
            out.append(x.get("id"))
            out += ids(x.get("children") or [])
        return out

    def find(secs: list, sid: str) -> tuple[list, int] | None:
        for i, x in enumerate(secs):
            if x.get("id") == sid:
                return secs, i
            if x.get("children"):
                x["children"] = [dict(c) for c in x["children"]]
                hit = find(x["children"], sid)
                if hit:
                    return hit
        return None

    written: dict[str, int] = {}     # section id → the last change that wrote it (changed or inserted)
    for n, ch in enumerate(changes):
        if not isinstance(ch, dict) or not isinstance(ch.get("id"), str):
            fail(("section_changes", n), "每项应为映射，以 id 指明章节（如 {id: overview, title: 总体情况}）")
        known = ids(sections)
        sid = ch["id"]
        place = [k for k in ("before", "after") if k in ch]
        if len(place) > 1:
            fail(("section_changes", n), "before 与 after 只能写一个")
        if place:
            anchor = ch[place[0]]
            if sid in known:
                fail(("section_changes", n, "id"), f"章节 “{sid}” 已存在：插入的章节须用新的 id；要修改它请去掉 {place[0]}")
            hit = find(sections, anchor) if isinstance(anchor, str) else None
            if hit is None:
                guess = difflib.get_close_matches(str(anchor), [k for k in known if k], n=1, cutoff=0.5)
                fail(("section_changes", n, place[0]), f"没有 id 为 “{anchor}” 的章节"
                     + (f"，是否应为 “{guess[0]}”" if guess else ""))
            siblings, i = hit
            siblings.insert(i if place[0] == "before" else i + 1, {k: v for k, v in ch.items() if k not in place})
            written[sid] = n
            continue
        hit = find(sections, sid)
        if hit is None:
            guess = difflib.get_close_matches(sid, [k for k in known if k], n=1, cutoff=0.5)
            fail(("section_changes", n, "id"), f"没有 id 为 “{sid}” 的章节" + (f"，是否应为 “{guess[0]}”" if guess else "")
                 + "（新增章节请用 before 或 after 指明位置）")
        siblings, i = hit
        if ch.get("remove") is True:
            del siblings[i]
            continue
        if "remove" in ch:
            fail(("section_changes", n, "remove"), f"应为 true（删去该章节），实际为{_yaml_repr(ch['remove'])}")
        siblings[i] = _merge(siblings[i], {k: v for k, v in ch.items() if k != "id"})
        written[sid] = n
    # a problem found later in a changed section is told where the edition wrote it: section_changes[n]
    for sid, n in written.items():
        where = _path_of(sections, sid, ("sections",))
        if where is None:
            continue
        doc.aliases[where] = ("section_changes", n)
    return {**data, "sections": sections}


def _path_of(secs: list, sid: str, prefix: tuple) -> tuple | None:
    for i, x in enumerate(secs):
        if x.get("id") == sid:
            return (*prefix, i)
        found = _path_of(x.get("children") or [], sid, (*prefix, i, "children"))
        if found is not None:
            return found
    return None


def load_model(path: Path, model: type[M], _seen: tuple = ()) -> tuple[M, YamlDoc]:
    shown = display_path(path)
    doc = load_yaml(path, display=shown)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"配置错误：文件 {shown} 的顶层应为映射（键: 值），实际为{_yaml_repr(doc.data)}。")
    if "extends" in doc.data:
        doc = YamlDoc(path, _with_extends(path, doc, shown, tuple(_seen)), doc.lines, doc.aliases)
    try:
        obj = model.model_validate(doc.data)
    except ValidationError as exc:
        problems = validation_problems(exc.errors(), doc, model, shown)
        raise ConfigError(problems[0], problems) from None
    checks = getattr(obj, "cross_checks", None)
    problems = [located(doc, shown, loc, text) for loc, text in (checks() if checks else [])]
    problems += template_problems(obj, doc, shown)
    if problems:
        raise ConfigError(problems[0], problems)
    return obj, doc


def template_problems(obj: BaseModel, doc: YamlDoc, shown: str) -> list[str]:
    """Every wording and commentary template of a loaded file compiles in the sandbox (no include, import or
    extends; Jinja syntax right): refused when the config is read, with the file, line and key path."""
    from ..sandbox import template_problem

    out = []
    for key, text in (getattr(obj, "wording", None) or {}).items():
        problem = template_problem(text, wording=True)
        if problem:
            out.append(located(doc, shown, ("wording", key), problem))
    for pid, entry in (getattr(obj, "commentary", None) or {}).items():
        for name in ("replace", "before", "after"):
            text = getattr(entry, name, None)
            problem = template_problem(text) if text else None
            if problem:
                out.append(located(doc, shown, ("commentary", pid, name), problem))
    for group in ("footnotes", "captions"):
        for key, text in (getattr(obj, group, None) or {}).items():
            problem = template_problem(text, wording=True) if isinstance(text, str) and ("{" in text) else None
            if problem:
                out.append(located(doc, shown, (group, key), problem))
    return out


@dataclass(frozen=True)
class Config:
    """Everything one render needs from configuration."""

    profile_dir: Path
    profile: Profile
    taxonomy: Taxonomy
    kind: ReportKind
    kind_path: Path
    period_file: PeriodFile
    period_path: Path
    district: str | None = None            # the district of a per-district report (the brief)
    district_dir: Path | None = None       # its folder: brief.yaml, case.md, photos
    overlay_path: Path | None = None       # <district_dir>/brief.yaml when present
    overlay_keys: frozenset[str] = frozenset()   # the paragraphs whose commentary comes from it
    # section id → its parameters, validated through its type's model (None: loaded before any section type
    # was registered, i.e. without importing reportgen.reports — such a config cannot be built)
    section_params: Mapping[str, SectionParams] | None = None

    @property
    def districts(self) -> list[District]:
        """The city's districts in this edition's order: the period file's ``district_order``, else the
        structure's, else profile.yaml's (every district section, chart and table follows it)."""
        order = self.period_file.district_order or self.kind.district_order
        if not order:
            return list(self.profile.districts)
        by_name = {d.name: d for d in self.profile.districts}
        return [by_name[n] for n in order]

    def resolve(self, relative: str) -> Path:
        """A path written in the period file, resolved against that file's folder."""
        return (self.period_path.parent / relative).resolve()

    def commentary_file(self, pid: str) -> Path:
        """The file an analyst edits for paragraph ``pid``: the district's brief.yaml, else the period file."""
        if self.overlay_path is not None and pid in self.overlay_keys:
            return self.overlay_path
        return self.period_path


def default_config_dir() -> Path:
    env = os.environ.get("REPORTGEN_CONFIG")
    if env:
        return Path(env)
    local = Path("config/beijing")
    return local if local.is_dir() else PROJECT_ROOT / "config" / "beijing"


def find_kind(profile_dir: Path, kind: str) -> Path:
    """Report kinds: the profile's own ``reports/`` first, then the ``reports/`` beside it, then the shared
    structures that come with reportgen (``config/reports/`` of the package)."""
    for candidate in (profile_dir / "reports" / f"{kind}.yaml", profile_dir.parent / "reports" / f"{kind}.yaml",
                      SHARED_REPORTS / f"{kind}.yaml"):
        if candidate.is_file():
            return candidate
    kinds = known_kinds(profile_dir)
    guess = difflib.get_close_matches(kind, kinds, n=1, cutoff=0.6)
    raise ConfigError(
        f"配置错误：找不到报告类型 “{kind}” 的结构文件（查找了 {display_path(profile_dir / 'reports')} 和 "
        f"{display_path(profile_dir.parent / 'reports')}）。" + (f"是否想写 “{guess[0]}”？" if guess else "")
        + (f"可用的报告类型：{'、'.join(kinds)}。" if kinds else "")
    )


def known_kinds(profile_dir: Path) -> list[str]:
    """The report kinds a city can render: the structures (its own, beside it, shared) that name themselves as a
    kind (``kind: annual`` in annual.yaml) — not an edition's structure that extends one (annual-2022.yaml)."""
    import yaml

    out: list[str] = []
    for folder in (profile_dir / "reports", profile_dir.parent / "reports", SHARED_REPORTS):
        for f in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
            try:
                data = yaml.safe_load(f.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, yaml.YAMLError):
                continue
            if isinstance(data, dict) and data.get("kind") == f.stem and f.stem not in out:
                out.append(f.stem)
    return out


def district_names(profile: Profile) -> list[str]:
    return [d.name for d in profile.districts]


def check_district(profile: Profile, district: str, profile_dir: Path) -> None:
    names = district_names(profile)
    if district not in names:
        guess = difflib.get_close_matches(district, names, n=1, cutoff=0.3)
        hint = (f"是否想写 “{guess[0]}”？" if guess else "") + f"可用的区：{'、'.join(names)}。"
        raise ConfigError(f"配置错误：区 “{district}” 不在 {display_path(profile_dir / 'profile.yaml')} 的 districts 中。{hint}")


def data_roots(profile: Profile, profile_dir: Path, period_path: Path) -> list[Path]:
    """The folders data may be read from: the city folder, the period file's folder, the profile's ``data_roots``
    and those of ``$REPORTGEN_DATA_ROOTS`` (folders separated by ``os.pathsep``: set by whoever runs the
    service, e.g. a shared drive of exports; never by a period file)."""
    extra = [Path(p) for p in os.environ.get("REPORTGEN_DATA_ROOTS", "").split(os.pathsep) if p.strip()]
    return [profile_dir.resolve(), period_path.parent.resolve(),
            *((profile_dir / r).resolve() for r in profile.data_roots), *(p.resolve() for p in extra if p.is_absolute())]


def check_district_order(profile: Profile, *given: tuple[Path, YamlDoc, list[str] | None]) -> None:
    """``district_order`` (a structure's, a period file's): every district of profile.yaml once, no other name."""
    names = [d.name for d in profile.districts]
    problems = []
    for path, doc, order in given:
        if order is None:
            continue
        shown = display_path(path)
        for i, name in enumerate(order):
            if name not in names:
                guess = difflib.get_close_matches(name, names, n=1, cutoff=0.3)
                problems.append(located(doc, shown, ("district_order", i), f"“{name}” 不是 profile.yaml 中的区"
                                        + (f"，是否应为 “{guess[0]}”" if guess else "")))
            elif name in order[:i]:
                problems.append(located(doc, shown, ("district_order", i), f"“{name}” 列了两次"))
        missing = [n for n in names if n not in order]
        if missing:
            problems.append(located(doc, shown, ("district_order",), f"缺少 {'、'.join(missing)}：顺序须列全 "
                                    f"profile.yaml 的 {len(names)} 个区"))
    if problems:
        raise ConfigError(problems[0], problems)


def confine_paths(profile: Profile, profile_dir: Path, period_file: PeriodFile, ppath: Path, doc: YamlDoc) -> None:
    """Every path of the period file (sources, district_folder) inside the data roots, judged by where it
    really leads (``..`` and symbolic links resolved): a period file cannot make a report read ``/etc/shadow``.
    Nothing of the file outside is read, so nothing of it can be echoed."""
    roots = data_roots(profile, profile_dir, ppath)
    allowed = "、".join(dict.fromkeys(display_path(r) for r in roots))
    shown = display_path(ppath)
    problems = []
    entries: list[tuple[tuple, str, str]] = [(("sources", key, i, "path"), s.path, s.path)
                                             for key, specs in period_file.sources.items()
                                             for i, s in enumerate(specs) if s.path is not None]
    if period_file.district_folder:
        entries.append((("district_folder",), period_file.district_folder,
                        period_file.district_folder.replace("{district}", "x")))
    for loc, written, probe in entries:
        target = (ppath.parent / probe).resolve()
        if not any(target == r or target.is_relative_to(r) for r in roots):
            problems.append(located(doc, shown, loc, f"“{written}” 指向 {display_path(target)}，在允许的数据文件夹之外"
                                    f"（{allowed}）。数据文件须放在城市配置文件夹、期间文件所在的文件夹或 profile.yaml 的 "
                                    "data_roots 所列的文件夹之内（.. 与符号链接按实际指向判断）"))
    if problems:
        raise ConfigError(problems[0], problems)


def load_config(kind: str, period: str, config_dir: Path | None = None, period_path: Path | None = None,
                district: str | None = None,
                section_types: Mapping[str, type[SectionParams]] | None = None) -> Config:
    """The configuration of one render, validated; ``section_types`` (default: the registered ones, see
    ``config/sections.py``) gives each section type's parameter model."""
    profile_dir = (config_dir or default_config_dir()).resolve()
    if not (profile_dir / "profile.yaml").is_file():
        raise ConfigError(f"配置错误：{display_path(profile_dir)} 下没有 profile.yaml。请用 --config 指向城市配置目录。")
    problems: list[str] = []

    def attempt(fn, *args):
        try:
            return fn(*args)
        except ConfigError as exc:
            problems.extend(exc.problems)
            return None, None

    profile, _ = attempt(load_model, profile_dir / "profile.yaml", Profile)
    taxonomy = None
    if profile is not None:
        taxonomy, _ = attempt(load_model, profile_dir / profile.taxonomy, Taxonomy)
    ppath = period_path or profile_dir / "periods" / f"{kind}-{period}.yaml"
    if not ppath.is_file():
        problems.append(f"配置错误：找不到期间文件 {display_path(ppath)}（报告 {kind}，期间 {period}）。"
                        f"新的一期可用 reportgen init {kind} --period {period}"
                        + (" --district 区名" if kind == "monthly" else "") + " 生成（含数据模板）。")
        period_file = None
    else:
        period_file, period_doc = attempt(load_model, ppath, PeriodFile)
    kind_path = find_kind(profile_dir, (period_file.structure if period_file and period_file.structure else kind))
    report_kind, kind_doc = attempt(load_model, kind_path, ReportKind)
    if problems:
        raise ConfigError(problems[0], problems)
    assert profile and taxonomy and report_kind and period_file
    if period_file.report != kind:
        raise ConfigError(
            f"配置错误：文件 {display_path(ppath)}，键 report：应为 “{kind}”，实际为 “{period_file.report}”。"
        )
    if period_path is None and not period_file.period.startswith(period):
        raise ConfigError(
            f"配置错误：文件 {display_path(ppath)}，键 period：写的是 “{period_file.period}”，与文件名和命令中的期间 "
            f"{period} 不符。复制上一期的期间文件后请改正 period（及 compare、sources）。"
        )
    if report_kind.data == "assessment" and re.fullmatch(r"\d{4}-\d{2}", period_file.period):
        line = period_doc.line_of(("period",))
        raise ConfigError(f"配置错误：文件 {display_path(ppath)}" + (f" 第 {line} 行" if line else "")
                          + f"，键 period：报告 {kind} 按考核期生成，应写 “{period_file.period}K”（上月 "
                          f"{profile.assessment_day} 日 0 时至本月 {profile.assessment_day} 日 0 时），实际为 “{period_file.period}”。")
    ppath = ppath.resolve()
    confine_paths(profile, profile_dir, period_file, ppath, period_doc)
    check_district_order(profile, (kind_path, kind_doc, report_kind.district_order),
                         (ppath, period_doc, period_file.district_order))
    unknown_section_ids(report_kind, period_file, ppath)
    models = SECTION_PARAMS if section_types is None else section_types
    params = validate_sections(report_kind, kind_path, kind_doc, period_file, ppath, period_doc, models) \
        if models else None
    if not report_kind.per_district:
        if district is not None:
            raise ConfigError(f"配置错误：报告 {kind} 不按区生成，不能指定 --district。")
        return Config(profile_dir, profile, taxonomy, report_kind, kind_path, period_file, ppath,
                      section_params=params)
    if district is None:
        raise ConfigError(f"配置错误：报告 {kind} 按区生成，请用 --district 指定区（如 --district {district_names(profile)[0] if profile.districts else '某区'}），"
                          "或用 --all-districts 生成全部区。")
    check_district(profile, district, profile_dir)
    district_dir = overlay = None
    keys: frozenset[str] = frozenset()
    if period_file.district_folder:
        district_dir = (ppath.parent / period_file.district_folder.replace("{district}", district)).resolve()
        candidate = district_dir / "brief.yaml"
        if candidate.is_file():
            extra, _ = load_model(candidate, DistrictOverlay)
            overlay = candidate
            keys = frozenset(extra.commentary)
            period_file = period_file.model_copy(update={
                "wording": {**period_file.wording, **extra.wording},
                "commentary": {**period_file.commentary, **extra.commentary},
            })
    return Config(profile_dir, profile, taxonomy, report_kind, kind_path, period_file, ppath, district,
                  district_dir, overlay, keys, params)

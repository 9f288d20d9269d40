"""The inputs of one report, read and checked once: the records (a checked DuckDB table per source), the
assessment tables of a brief, the ranking tables of a work report.  The first stage of the pipeline: nothing
here knows about documents, charts or outputs."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from .assessment import Assessment, BriefData, load_assessment_config, load_periods, period_files
from .config import Config
from .config.load import display_path
from .errors import ConfigError, DataError
from .periods import parse_period
from .plan import Plan, plan_for
from .tickets import DatabaseTickets
from .workspace import cache_dir


def _sources(cfg: Config, key: Literal["records", "assessment", "rankings"]) -> list:
    specs = cfg.period_file.sources.get(key)
    if not specs:
        raise ConfigError(f"配置错误：文件 {display_path(cfg.period_path)}，报告 {cfg.kind.kind} 需要 sources.{key}"
                          f"（{'受理记录' if key == 'records' else '市级考评表所在的文件夹'}），期间文件中没有。")
    return specs


@lru_cache(maxsize=4)
def _assessment(folder: Path, periods: tuple[str, ...], config_path: Path, districts: tuple[str, ...],
                stamp: tuple, skip_bad: bool = False) -> Assessment:
    """The assessment tables, read once per process (a batch renders many districts from them).
    ``stamp`` (the files' sizes and times) makes a changed file a new cache entry."""
    return load_periods(folder, periods, config=load_assessment_config(config_path), known_districts=districts,
                        skip_bad=skip_bad)


_STORES: dict[tuple, object] = {}


def _stamp(path: Path) -> tuple:
    try:
        st = path.stat()
        return (st.st_size, st.st_mtime_ns)
    except OSError:
        return (None, None)


def record_store(files: list, cfg: Config, as_of: str, months: tuple[str, str] | None = None):
    skip = cfg.period_file.bad_rows == "skip"
    """The checked records of these files (or databases), reused while the files, the profile and the taxonomy
    are unchanged (the preview rebuilds on every save; its group-bys then come from the store's memo).  A
    database source is read again only in a new process."""
    from .records import KnownNames, RecordStore

    key = (tuple(repr(f) if isinstance(f, DatabaseTickets) else (str(f[0]), *f[1:], *_stamp(f[0])) for f in files),
           cfg.profile.model_dump_json(), months, skip, _stamp(cfg.profile_dir / "units.yaml"),
           _stamp(cfg.profile_dir / "streets.yaml"), _stamp(cfg.profile_dir / "streets-former.yaml"),
           cfg.taxonomy.model_dump_json(), as_of)
    store = _STORES.get(key)
    if store is None:
        store = RecordStore.open(files, cfg.profile, cfg.taxonomy, as_of=as_of, known=KnownNames.of(cfg.profile_dir),
                                 months=months, skip_bad=skip, cache=cache_dir() / "records")
        _STORES.clear()
        _STORES[key] = store
    return store


def load_brief_data(cfg: Config, compare=None) -> BriefData:
    specs = _sources(cfg, "assessment")
    folder = cfg.resolve(specs[0].path)
    if not folder.is_dir():
        raise DataError(f"数据错误：文件 {display_path(cfg.period_path)}，sources.assessment 的 “{specs[0].path}” "
                        f"应为考评表所在的文件夹（{display_path(folder)} 不存在或不是文件夹）。")
    period = parse_period(cfg.period_file.period, cfg.profile.assessment_day)
    previous = compare if compare is not None else plan_for(cfg).compare
    periods = (period.key, previous.key)
    present = [p for p in periods if all(f.is_file() for f in period_files(folder, p))]
    if period.key not in present:
        missing = [display_path(f) for f in period_files(folder, period.key) if not f.is_file()]
        raise DataError(f"数据错误：考核期 {period.key} 的考评表不全，缺少 {'、'.join(missing)}。")
    if previous.key not in present and not cfg.period_file.without_previous:
        missing = [display_path(f) for f in period_files(folder, previous.key) if not f.is_file()]
        raise DataError(f"数据错误：上一考核期 {previous.key} 的考评表不全，缺少 {'、'.join(missing)}。简报的环比与排名变化需要它们："
                        f"请放入 {display_path(folder)}；确实没有时，在期间文件 {display_path(cfg.period_path)} 中写 "
                        "without_previous: true（环比与排名变化从略）。")
    stamp = tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for p in present for f in period_files(folder, p))
    asm = _assessment(folder, tuple(present), cfg.profile_dir / "assessment.yaml",
                      tuple(d.name for d in cfg.profile.districts), stamp, cfg.period_file.bad_rows == "skip")
    assert cfg.district is not None
    return BriefData(asm, cfg.district, period.key, previous.key, display_path(folder))



def load_inputs(plan: Plan) -> tuple[Any, Any]:
    """(store, data) for the plan's report kind: the records' store (and a work report's ranking tables as
    ``data``), or a brief's :class:`BriefData`."""
    cfg = plan.cfg
    store: Any = None
    data: Any = None
    if cfg.kind.data == "records":
        files = [DatabaseTickets(**s.database.model_dump()) if s.database
                 else (cfg.resolve(s.path), s.format, s.sheet, s.encoding) for s in _sources(cfg, "records")]
        store = record_store(files, cfg, as_of=plan.as_of, months=plan.months)
        if cfg.period_file.sources.get("rankings"):
            from .ranking_tables import load_rankings

            paths = []
            for s in cfg.period_file.sources["rankings"]:
                if s.path is None:
                    raise ConfigError(f"配置错误：文件 {display_path(cfg.period_path)}，sources.rankings 应为文件（path），"
                                      "排名表不能从数据库读取。")
                paths.append(cfg.resolve(s.path))
            data = {"rankings": load_rankings(paths, cfg.period_file.period)}
    else:
        data = load_brief_data(cfg, plan.compare)
    return store, data

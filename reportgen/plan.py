"""The plan of one report: what every stage below needs, resolved once.

An entry point (the CLI, a batch worker, the preview, the scheduler) names a report by kind, period, city
folder and district; :func:`make_plan` loads and validates the configuration once and decides, once, the
period, its comparison period and the months of data the report reads.  The stages receive the plan (or its
parts) and never resolve any of it again — so the data window and the comparison cannot disagree (a
calendar-month report compares with the same month a year earlier, and reads both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from .config import Config, load_config
from .periods import Period, parse_period


def comparison_of(period: Period, declared: str | None, day: int) -> Period:
    """The period a report compares with: the period file's ``compare``, else 环比 (the period before) for a
    考核期 and 同比 (the same period a year earlier) for every calendar period; ``day``: the 考核期 boundary."""
    if declared:
        return parse_period(declared, day)
    return period.previous() if period.kind == "assessment" else period.year_before()


@dataclass(frozen=True)
class Plan:
    cfg: Config
    period: Period
    compare: Period

    @property
    def months(self) -> tuple[str, str]:
        """The first and last month ('YYYY-MM', both inclusive) of the data the report reads: from the earlier
        of the two periods' starts to the report period's last day."""
        first = min(self.period.start, self.compare.start)
        last = self.period.end - timedelta(days=1)
        return f"{first.year:04d}-{first.month:02d}", f"{last.year:04d}-{last.month:02d}"

    @property
    def as_of(self) -> str:
        """The month the report period ends in: the taxonomy changes effective by then apply."""
        end = self.period.end
        return f"{end.year:04d}-{end.month:02d}"


def plan_for(cfg: Config) -> Plan:
    """The plan of a loaded configuration."""
    period = parse_period(cfg.period_file.period, cfg.profile.assessment_day)
    return Plan(cfg, period, comparison_of(period, cfg.period_file.compare, cfg.profile.assessment_day))


def make_plan(kind: str, period: str, config_dir: Path | None = None, period_path: Path | None = None,
              district: str | None = None) -> Plan:
    return plan_for(load_config(kind, period, config_dir, period_path, district))

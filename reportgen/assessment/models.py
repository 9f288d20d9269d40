"""The assessment scheme of a city (``config/<city>/assessment.yaml``) as validated models: weights, places,
万人诉求比, the table kinds (表种) and the columns of the input tables (units, districts, city) with their Chinese
headers and types."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..config.load import default_config_dir, load_model

UNIT_TYPES = ("街乡镇", "部门")
DEPT_CLASSES = ("一类部门", "二类部门")
INPUTS = ("units", "districts", "city")

# the columns each input table must declare (the loader builds its rows from them); the districts table has, besides
# these, a composite_<key> column per table kind (名称 from the table kind's composite_name)
NEEDED: dict[str, tuple[str, ...]] = {
    "units": ("period", "district", "unit", "unit_type", "dept_class", "table", "counted", "response_rate",
              "resolve_rate", "satisfaction_rate", "bonus", "city_rank"),
    "districts": ("period", "district", "counted", "response_rate", "resolve_rate", "satisfaction_rate", "bonus",
                  "composite", "city_rank", "rated_orders", "both_satisfied", "both_failed",
                  "both_failed_district_satisfied", "one_failed", "one_failed_district_satisfied",
                  "resolved_basic_satisfied", "requests", "per10k_requests"),
    "city": ("period", "street_avg", "dept_avg", "street_count", "dept_count"),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _exact(value: object) -> object:
    """YAML numbers arrive as floats; take their shortest decimal text (0.1 → Decimal('0.1'))."""
    return str(value) if isinstance(value, float) else value


class Weights(_Strict):
    """综合成绩的权重：响应率、解决率、满意率（合计为 1）。"""

    response: Decimal = Field(ge=0, le=1, description="响应率的权重")
    resolve: Decimal = Field(ge=0, le=1, description="解决率的权重")
    satisfaction: Decimal = Field(ge=0, le=1, description="满意率的权重")

    @field_validator("response", "resolve", "satisfaction", mode="before")
    @classmethod
    def _decimal(cls, v: object) -> object:
        return _exact(v)

    @model_validator(mode="after")
    def _sum_to_one(self) -> "Weights":
        total = self.response + self.resolve + self.satisfaction
        if total != 1:
            raise ValueError(f"三个权重之和应为 1，实际为 {total}")
        return self


class Per10kSpec(_Strict):
    """万人诉求比：小数位、排名方向、环比变化的算法。"""

    places: int = Field(2, ge=0, le=4)
    rank: Literal["ascending", "descending"] = Field(
        "ascending", description="ascending：比值越低排名越前；descending：比值越高排名越前")
    change: Literal["rounded", "exact"] = Field(
        "rounded", description="rounded：两期印出的比值相减；exact：精确比值相减后再四舍五入")


class TableKind(_Strict):
    key: str = Field(pattern=r"^[a-z_]+$", description="英文键，用于列名（如 districts 表的 composite_direct）")
    unit_type: Literal["街乡镇", "部门"]
    caption: str = Field(description="表题")
    note: str = Field(description="表注（Jinja2 模板）")
    composite_name: str | None = Field(
        None, description="区级表中本表种综合成绩一列的中文名（也是可用的表头），缺省为“<表种>综合成绩”")


ColumnType = Literal["period", "text", "integer", "positive", "rate", "number", "score"]


class ColumnSpec(_Strict):
    """考评表的一列：中文名（提示中写作 英文名（中文名），也可作表头）、其他表头、类型、是否必需。"""

    name: str = Field(description="中文名，如 考核期")
    aliases: list[str] = Field([], description="其他可用的表头，如 纳入考评")
    type: ColumnType = Field(description="period 考核期；text 文字；integer 非负整数；positive 正整数（如排名）；"
                                         "rate 比率（百分数）；number 数字；score 成绩（0–200）")
    required: bool = Field(False, description="必需的列（每行都要填写）")
    values: list[str] | None = Field(None, description="允许的取值（文字列）")


class AssessmentConfig(_Strict):
    """``config/<city>/assessment.yaml``."""

    weights: Weights
    composite_places: int = Field(2, ge=0, le=4)
    rate_places: int = Field(2, ge=0, le=4)
    per_10k: Per10kSpec = Per10kSpec()
    tables: dict[str, TableKind]
    dept_classes: list[str] = list(DEPT_CLASSES)
    inputs: dict[Literal["units", "districts", "city"], dict[str, ColumnSpec]]

    @field_validator("tables")
    @classmethod
    def _unique_keys(cls, v: dict[str, TableKind]) -> dict[str, TableKind]:
        if not v:
            raise ValueError("至少要有一个表种")
        keys = [t.key for t in v.values()]
        if len(set(keys)) != len(keys):
            raise ValueError("各表种的 key 不能重复")
        return v

    @field_validator("inputs")
    @classmethod
    def _every_column(cls, v: dict[str, dict[str, ColumnSpec]]) -> dict[str, dict[str, ColumnSpec]]:
        for table in INPUTS:
            columns = v.get(table)  # type: ignore[call-overload]
            if columns is None:
                raise ValueError(f"缺少 {table} 表的列（{'、'.join(INPUTS)} 三张表都要列出）")
            missing = [c for c in NEEDED[table] if c not in columns]
            if missing:
                raise ValueError(f"{table} 表缺少列 {'、'.join(missing)} 的说明")
            unknown = [c for c in columns if c not in NEEDED[table]]
            if unknown:
                raise ValueError(f"{table} 表的列 {'、'.join(unknown)} 未知；可用的列：{'、'.join(NEEDED[table])}"
                                 "（区级表各表种的综合成绩列由 tables 给出）")
            headers = [h for c in columns.values() for h in (c.name, *c.aliases)]
            twice = sorted({h for h in headers if headers.count(h) > 1})
            if twice:
                raise ValueError(f"{table} 表的表头 {'、'.join(twice)} 用于不止一列")
        return v

    def table_by_key(self, key: str) -> str:
        return next(name for name, t in self.tables.items() if t.key == key)

    def columns(self, table: str) -> dict[str, ColumnSpec]:
        """The declared columns of an input table; for ``districts`` with a ``composite_<key>`` per table kind."""
        out = dict(self.inputs[table])  # type: ignore[index]
        if table == "districts":
            for name, kind in self.tables.items():
                out[f"composite_{kind.key}"] = ColumnSpec(name=kind.composite_name or f"{name}综合成绩", type="score")
        return out


def load_assessment_config(path: Path | None = None) -> AssessmentConfig:
    """Load and validate ``assessment.yaml``: ``path`` is the file or the city folder holding it (default: the
    city folder the CLI would use, ``REPORTGEN_CONFIG`` or ``config/beijing``); Chinese errors."""
    path = Path(path) if path is not None else default_config_dir()
    if path.is_dir():
        path = path / "assessment.yaml"
    return load_model(path, AssessmentConfig)[0]

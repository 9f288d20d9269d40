"""Assessment measures: the city's 考评 rates, composite scores, ranks and 万人诉求比.

The monthly district brief (考核期工作情况分析) rests on the city's assessment of every unit — town or
street (街乡镇), district department (部门, 一类 / 二类) and district — per table kind (直派; 转派+从办;
直派+转派+从办; 部门自办+从办, as ``assessment.yaml``'s ``tables`` declares them).  These are not counts, so they
are their own small tables keyed by period and unit (DESIGN.md), read through the same input layer as the records
and checked row by row.

Everything is exact: rates are percentages held as ``Decimal`` (never ``float``), the composite is
``0.1·响应率 + 0.5·解决率 + 0.4·满意率 + 加分项`` (weights from ``config/<city>/assessment.yaml``)
rounded half-up on the exact decimal, and ranks are competition ranks on the rounded composite
(ties share a rank, the next rank skips: 1, 1, 1, 4).

One module per job: ``models`` (the scheme in assessment.yaml), ``scoring`` (composite, competition ranks, rank
changes; 万人诉求比 and its ranks are ``reportgen.metrics``), ``format`` (printed figures), ``tables`` (typed rows and the loaded
``Assessment``), ``load`` (reading and checking the tables).
"""

from .format import fmt_bonus, fmt_rate, fmt_score
from .load import MAX_REPORTED, load_assessment, load_periods, period_files
from .models import (DEPT_CLASSES, UNIT_TYPES, AssessmentConfig, ColumnSpec, Per10kSpec, TableKind, Weights,
                     load_assessment_config)
from .scoring import Rates, competition_ranks, composite, decimals_needed, rank_change, round_half_up
from .tables import Assessment, BriefData, CityAverages, DistrictScore, OrderCounts, UnitScore

__all__ = [
    "DEPT_CLASSES", "MAX_REPORTED", "UNIT_TYPES", "Assessment", "AssessmentConfig", "BriefData", "CityAverages", "ColumnSpec",
    "DistrictScore", "OrderCounts", "Per10kSpec", "Rates", "TableKind", "UnitScore", "Weights", "competition_ranks",
    "composite", "decimals_needed", "fmt_bonus", "fmt_rate", "fmt_score", "load_assessment", "load_assessment_config",
    "load_periods", "period_files", "rank_change", "round_half_up",
]

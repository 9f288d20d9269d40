"""Configuration layers: city profile, report kind, period file (pydantic models + loading)."""

from .load import Config, load_config, load_model
from .models import (
    CommentaryEntry,
    PeriodFile,
    Profile,
    ReportKind,
    SectionSpec,
    Taxonomy,
)

__all__ = [
    "CommentaryEntry", "Config", "PeriodFile", "Profile", "ReportKind", "SectionSpec", "Taxonomy",
    "load_config", "load_model",
]

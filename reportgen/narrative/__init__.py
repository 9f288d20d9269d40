"""Narrative: sentences composed from figures by Jinja2 wording templates kept in YAML."""

from .commentary import render_markdown
from .wording import Footnotes, Wording
from .trends import describe_trends, TrendClause

__all__ = ["Footnotes", "TrendClause", "Wording", "describe_trends", "render_markdown"]

"""Report kinds: build a Document (headings, paragraphs, figures) from config + records.

Importing the package registers every section type with its parameter model (``build.section``), so that
``load_config`` validates the sections' parameters once, when the configuration is read.
"""

from .document import Document, Figure, Heading, Para
from .build import SECTION_TYPES, build_report
from . import annual, brief, case, features, handling, rankings, summary, work  # noqa: F401,E402  (the section types)

__all__ = ["Document", "Figure", "Heading", "Para", "SECTION_TYPES", "build_report"]

"""Report kinds: build a Document (headings, paragraphs, figures) from config + records."""

from .document import Document, Figure, Heading, Para
from .build import build_report

__all__ = ["Document", "Figure", "Heading", "Para", "build_report"]

"""Render: Document → HTML (Jinja2) → PDF (WeasyPrint), written atomically."""

from .html import render_html
from .pdf import render_pdf, write_atomic

__all__ = ["render_html", "render_pdf", "write_atomic"]

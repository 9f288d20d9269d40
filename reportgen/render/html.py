"""Document → one HTML string, from ``templates/`` (the city's own templates first)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from markupsafe import escape

from ..reports.document import Document, Figure
from .typeset import INVISIBLE, typeset

from ..workspace import TEMPLATES


def environment(profile_dir: Path | None = None) -> Environment:
    dirs = [profile_dir / "templates"] if profile_dir and (profile_dir / "templates").is_dir() else []
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader([str(d) for d in dirs + [TEMPLATES]])]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["typeset"] = lambda v: typeset(escape(v))
    return env


def render_html(doc: Document, *, profile_dir: Path | None = None, chart_url=None, photo_url=None,
                extra_css: str = "", template: str = "report.html.j2") -> str:
    """HTML of the whole report; ``chart_url(figure)`` / ``photo_url(photo)`` give each chart's and
    photo's URL (default: its file path).  No invisible character (:data:`~.typeset.INVISIBLE`, e.g. a
    zero-width space pasted into an analyst's text) is left in it: break opportunities are ``<wbr>``."""
    env = environment(profile_dir)
    css = env.loader.get_source(env, "report.css")[0] + "\n" + extra_css
    url = chart_url or (lambda f: f.src.as_uri() if isinstance(f, Figure) and f.src else "")
    purl = photo_url or (lambda p: p.src.as_uri())
    html = env.get_template(template).render(doc=doc, css=css, chart_url=url, photo_url=purl)
    return INVISIBLE.sub("", html)

"""Document → one HTML string, from ``templates/`` (the city's own templates first)."""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..reports.document import Document, Figure

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = PROJECT_ROOT / "templates"


def environment(profile_dir: Path | None = None) -> Environment:
    dirs = [profile_dir / "templates"] if profile_dir and (profile_dir / "templates").is_dir() else []
    return Environment(
        loader=ChoiceLoader([FileSystemLoader([str(d) for d in dirs + [TEMPLATES]])]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )


def render_html(doc: Document, *, profile_dir: Path | None = None, chart_url=None, extra_css: str = "",
                template: str = "report.html.j2") -> str:
    """HTML of the whole report; ``chart_url(figure)`` gives each chart's URL (default: its file path)."""
    env = environment(profile_dir)
    css = env.loader.get_source(env, "report.css")[0] + "\n" + extra_css
    url = chart_url or (lambda f: f.src.as_uri() if isinstance(f, Figure) and f.src else "")
    return env.get_template(template).render(doc=doc, css=css, chart_url=url)

"""One exception tree. Every message is Chinese, names the input, the problem and the fix."""

from __future__ import annotations

import re

# a sentence ends with one mark: an English message (“No filter named 'change'.”) or a sentence already ended,
# followed by the “。” that the Chinese around it adds
_DOUBLED = re.compile(r"(?<![.])[.。]+。|。{2,}")
_MARK_THEN_STOP = re.compile(r"([？！?!])。")


def one_stop(text: str) -> str:
    """``text`` with every doubled end of sentence made one (“….。” → “…。”, “？。” → “？”)."""
    return _MARK_THEN_STOP.sub(r"\1", _DOUBLED.sub("。", text))


def project_paths(text: str) -> str:
    """``text`` with every absolute path inside the working directory (the project) written relative to it, as
    the analyst types paths: a message built from an absolute path reads like every other one."""
    import os

    here = os.getcwd().rstrip(os.sep)
    if len(here) <= 1:                  # the root: every path is inside it, none is shortened
        return text
    return re.sub(rf"(?<![\w./-]){re.escape(here)}{re.escape(os.sep)}(?=\S)", "", text)


class ReportError(Exception):
    """Base of all errors shown to analysts (exit code 2, no traceback unless --debug)."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        # the one place every message passes: no doubled punctuation, whatever was put together
        self.problems = [project_paths(one_stop(p)) for p in (problems or [message])]
        super().__init__(project_paths(one_stop(message)))

    def __str__(self) -> str:  # one line per problem
        return "\n".join(self.problems)


class ConfigError(ReportError):
    """A YAML configuration or period file is missing, unreadable or invalid."""


class DataError(ReportError):
    """A data source is missing, unreadable, or has rows that break the records contract."""


class RenderError(ReportError):
    """Rendering failed (strict mode warnings, missing glyphs, template errors)."""

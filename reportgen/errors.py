"""One exception tree. Every message is Chinese, names the input, the problem and the fix."""

from __future__ import annotations


class ReportError(Exception):
    """Base of all errors shown to analysts (exit code 2, no traceback unless --debug)."""

    exit_code = 2

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message)

    def __str__(self) -> str:  # one line per problem
        return "\n".join(self.problems)


class ConfigError(ReportError):
    """A YAML configuration or period file is missing, unreadable or invalid."""


class DataError(ReportError):
    """A data source is missing, unreadable, or has rows that break the records contract."""


class RenderError(ReportError):
    """Rendering failed (strict mode warnings, missing glyphs, template errors)."""

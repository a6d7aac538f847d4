"""Errors the user can fix. The CLI turns them into a message, a hint and exit code 1."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a state the user must change. Never shown with a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\nhint: {self.hint}"


class ConfigError(UserError):
    """Invalid configuration: names the file, key path and line where known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        where = file or ""
        if line is not None:
            where += f":{line}"
        prefix = f"{where}: " if where else ""
        keypart = f"{key}: " if key else ""
        super().__init__(f"{prefix}{keypart}{message}", hint)
        self.file = file
        self.key = key
        self.line = line

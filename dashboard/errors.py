"""The one shape of CityWall's errors that reach a person: ``.message`` is what to show, in Chinese
(what went wrong and what to do), so a page, the CLI or a job's record can print it as it is."""
from __future__ import annotations


class MessageError(Exception):
    """An error whose ``.message`` is shown to people as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

"""The base of every settings table: an unknown key is an error (a typo must not pass silently),
and a loaded value cannot change."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

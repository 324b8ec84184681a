"""The reason a patient is excluded, in the manifest's ``code: detail`` form."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Exclusion(Exception):
    """A patient cannot be used; ``code`` is a reason code of docs/contract.md, e.g. ``missing:t2``."""

    code: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code

"""Signing a document's review off, and reopening it when anything changes afterwards (decision 013).

A sign-off is allowed when every region is reviewed (corrected or verified). It records the reviewer,
the time and the audit chain's head, in the review's ``meta`` and as a ``sign_off`` entry of the chain.
Any later change reopens it: the sign-off moves to ``sign_off_reopened`` and a ``reopen`` entry follows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from desktop.core.regions import DECIDED, Region
from inference.errors import InputError

__all__ = ["REOPENED_KEY", "SIGNED_KEY", "SignOff", "SignOffRefusedError", "check_ready"]

SIGNED_KEY = "sign_off"
REOPENED_KEY = "sign_off_reopened"


class SignOffRefusedError(InputError):
    """The document cannot be signed off yet (a region is not reviewed, or there is none)."""


@dataclass(frozen=True, slots=True)
class SignOff:
    """Who signed the review off, when (UTC), and the audit chain's head at that moment.

    ``reopened_at``/``reopened_by``: set when a later change reopened it ("" while it stands)."""

    reviewer: str
    at: str
    chain_head: str
    reopened_at: str = ""
    reopened_by: str = ""

    @property
    def is_open(self) -> bool:
        """True when a change after the sign-off reopened the review."""
        return bool(self.reopened_at)

    def to_json(self) -> str:
        """The value kept in the review's ``meta``."""
        return json.dumps(
            {
                "reviewer": self.reviewer,
                "at": self.at,
                "chain_head": self.chain_head,
                "reopened_at": self.reopened_at,
                "reopened_by": self.reopened_by,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, raw: str | None) -> SignOff | None:
        """The sign-off kept in ``meta`` (None when absent or unreadable)."""
        try:
            d = json.loads(raw or "null")
            return None if d is None else cls(**{k: str(v) for k, v in d.items()})
        except (TypeError, ValueError, AttributeError):
            return None

    def metadata(self) -> dict[str, str]:
        """What an export carries about the sign-off."""
        return {"reviewer": self.reviewer, "signed_at": self.at, "chain_head": self.chain_head}

    def describe(self) -> str:
        """One sentence for the window (the reviewer's name and times only; no patient text)."""
        if self.is_open:
            return (
                f"Sign-off by {self.reviewer} ({self.at} UTC) was reopened by a change from {self.reopened_by} "
                f"at {self.reopened_at} UTC; sign the document off again when it is reviewed."
            )
        return f"Signed off by {self.reviewer} at {self.at} UTC."


def check_ready(regions: Iterable[Region]) -> None:
    """Raise SignOffRefusedError unless there is a region and every one is corrected or verified."""
    pending = total = 0
    for r in regions:
        total += 1
        pending += r.status not in DECIDED
    if not total:
        raise SignOffRefusedError("There is nothing to sign off: this document has no regions.")
    if pending:
        raise SignOffRefusedError(
            f"{pending} of {total} regions are not reviewed yet (corrected or verified); review them first."
        )

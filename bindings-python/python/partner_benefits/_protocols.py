"""Protocols a host implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ._native import Mail

__all__ = ["Mailer"]


class Mailer(Protocol):
    """Anything with ``send(mail)``. An exception from it leaves the mail queued for retry."""

    def send(self, mail: Mail, /) -> object:
        """Delivers one mail. An ``Exception`` is a refusal: the mail stays in the
        outbox (``failed``) and the next ``dispatch_mail()`` retries it; the
        return value is ignored."""
        ...

"""Typed ids and the closed sets of codes of partner_benefits.

Ids are ``typing.NewType`` s of ``str``: at run time each is the plain string
the core prints (``"usr-1-2"``); to a type checker each is its own type, so a
user id cannot go where a benefit id is expected. The methods return them
typed; wrap a string that comes from elsewhere (a form, a database) in the
id's name, ``pb.UserId("usr-1-2")``, which costs nothing at run time. A
malformed id still raises ``InvalidInput`` when it is used.

The ``Literal`` aliases list the stable codes the library returns, so a type
checker can catch a misspelt code in a comparison (``--strict-equality``).
"""

from __future__ import annotations

from typing import Literal, NewType

__all__ = [
    "BenefitId",
    "CommandKind",
    "ErrorCode",
    "OfferId",
    "OrganizationId",
    "PackageId",
    "RefundReason",
    "RequestId",
    "UserId",
]

OrganizationId = NewType("OrganizationId", str)
"""An organization (a partner company), e.g. ``"org-1"``."""

UserId = NewType("UserId", str)
"""A user of an organization, e.g. ``"usr-1-2"``."""

PackageId = NewType("PackageId", str)
"""A purchased package, e.g. ``"pkg-1-1"``."""

BenefitId = NewType("BenefitId", str)
"""A benefit of a package, e.g. ``"ben-1-3"``."""

OfferId = NewType("OfferId", str)
"""A Go-To-Market offer of a benefit, e.g. ``"ofr-1-1"``."""

RequestId = NewType("RequestId", str)
"""An assistance or cancellation request, e.g. ``"req-1-1"``."""

ErrorCode = Literal[
    "permission_denied",
    "not_found",
    "invalid_input",
    "invalid_catalog",
    "conflict",
    "capacity_exhausted",
    "refund_not_allowed",
    "insufficient_balance",
    "invalid_transition",
    "precondition_failed",
    "storage",
    "mail",
]
"""The core's stable error codes: ``BenefitsError.code`` of each subclass,
``AssignmentResult.code``."""

RefundReason = Literal["window_closed", "software_activated", "already_cancelled"]
"""Why a cancellation got no refund: ``RefundNotAllowed.reason``,
``Cancellation.refusal``, ``Outcome.refusal``."""

CommandKind = Literal[
    "add_user",
    "set_user_roles",
    "remove_user",
    "purchase_package",
    "renew_package",
    "cancel_package",
    "cancel_offer",
    "get_keys",
    "assign_user",
    "unassign_user",
    "reassign_user",
    "activate_technical",
    "request_assistance",
    "withdraw_request",
    "set_marketing_contact",
    "activate_offer",
]
"""``Command.kind``: the name of the ``Command`` constructor (and of the
``Session`` method) it was built with."""

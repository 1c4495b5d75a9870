# Stubs of the native module; checked against the built module by mypy.stubtest.
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from os import PathLike
from types import TracebackType
from typing import ClassVar, Literal, final

from ._enums import Category, Delivery, PartnerLevel, Phase, Role, Status
from ._protocols import Mailer
from ._types import (
    BenefitId,
    CommandKind,
    ErrorCode,
    OfferId,
    OrganizationId,
    PackageId,
    RefundReason,
    RequestId,
    UserId,
)

__version__: str

__all__ = [
    "__version__",
    "AssignmentResult",
    "AuditEntry",
    "Benefit",
    "BenefitCenter",
    "BenefitsError",
    "Cancellation",
    "CapacityExhausted",
    "Change",
    "Command",
    "Conflict",
    "DispatchReport",
    "InsufficientBalance",
    "InvalidCatalog",
    "InvalidInput",
    "InvalidTransition",
    "KeyPool",
    "Keys",
    "Mail",
    "MailError",
    "ManualClock",
    "MarketingContact",
    "Money",
    "NotFound",
    "Offer",
    "Organization",
    "Outcome",
    "OutboxEntry",
    "Package",
    "PermissionDenied",
    "PreconditionFailed",
    "Program",
    "RefundNotAllowed",
    "Request",
    "Resealed",
    "SealedUnder",
    "Session",
    "StorageError",
    "Usage",
    "User",
    "VaultStatus",
    "enable_logging",
]

def enable_logging(level: int | None = ...) -> None:
    """Sends the library's log records at `level` (a `logging` level number,
    default `logging.INFO`) and above to Python's `logging`, under loggers
    named `partner_benefits.<module>`; `None` stops. Configure handlers and
    levels as for any library; call it again after changing the loggers'
    levels so the cached levels are read afresh.
    """

# ---------------------------------------------------------------- errors

class BenefitsError(Exception):
    """Base of every error of the library; `code` is the core's stable machine code."""

    code: str

class PermissionDenied(BenefitsError):
    """The acting user's roles do not grant what the call needs."""

    code: Literal["permission_denied"]

class NotFound(BenefitsError):
    """No such thing in the acting user's organization."""

    code: Literal["not_found"]

class InvalidInput(BenefitsError, ValueError):
    """A value given by the caller is malformed or out of range; also a `ValueError`."""

    code: Literal["invalid_input"]
    field: str

class InvalidCatalog(BenefitsError):
    """A catalog document is malformed."""

    code: Literal["invalid_catalog"]

class Conflict(BenefitsError):
    """Someone else changed the same data first, or an idempotency key was reused for another call."""

    code: Literal["conflict"]

class CapacityExhausted(BenefitsError):
    """Every seat or key is taken; nothing was allocated."""

    code: Literal["capacity_exhausted"]

class RefundNotAllowed(BenefitsError):
    """A cancellation was refused (and recorded); `reason` says which condition failed."""

    code: Literal["refund_not_allowed"]
    reason: RefundReason

class InsufficientBalance(BenefitsError):
    """An hours or incidents balance is too low."""

    code: Literal["insufficient_balance"]
    requested: Decimal
    available: Decimal

class InvalidTransition(BenefitsError):
    """The lifecycle does not allow this step from its current state."""

    code: Literal["invalid_transition"]

class PreconditionFailed(BenefitsError):
    """Something must happen first (e.g. a marketing contact must be set)."""

    code: Literal["precondition_failed"]

class StorageError(BenefitsError):
    """The store failed or holds data this version cannot read, or the center was closed (`BenefitCenter.close`)."""

    code: Literal["storage"]

class MailError(BenefitsError):
    """A mail could not be handed to the mailer; it stays queued."""

    code: Literal["mail"]

# ---------------------------------------------------------------- values

@final
class Money:
    """An amount of money: an exact amount and a three-letter currency code.
    In Python `Money(Decimal("12.50"), "EUR")` (an `int` amount too, never a float).
    """

    def __new__(cls, amount: Decimal | int, currency: str) -> Money: ...
    @property
    def amount(self) -> Decimal:
        """The amount, exact."""
    @property
    def currency(self) -> str:
        """The currency, e.g. `USD`."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Organization:
    """An organization (a partner company)."""

    @property
    def id(self) -> OrganizationId:
        """Id, e.g. `org-1`."""
    @property
    def name(self) -> str:
        """Company name."""
    @property
    def account_email(self) -> str:
        """Partner Center account email."""
    @property
    def level(self) -> PartnerLevel:
        """Partner level."""
    @property
    def competencies(self) -> list[str]:
        """Competencies."""
    @property
    def admin_id(self) -> UserId:
        """The first Global admin."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class User:
    """A user."""

    @property
    def id(self) -> UserId:
        """Id, e.g. `usr-1-2`."""
    @property
    def name(self) -> str:
        """Name."""
    @property
    def email(self) -> str:
        """Account email."""
    @property
    def roles(self) -> list[Role]:
        """Roles."""
    @property
    def language(self) -> str:
        """Mail language, e.g. `en`."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Package:
    """A purchased package."""

    @property
    def id(self) -> PackageId:
        """Id, e.g. `pkg-1-1`."""
    @property
    def template(self) -> str:
        """Catalog code, e.g. `action-pack`."""
    @property
    def name(self) -> str:
        """Name."""
    @property
    def status(self) -> Status:
        """Active, expired or cancelled."""
    @property
    def price(self) -> Money:
        """Price paid."""
    @property
    def purchased_at(self) -> datetime:
        """When bought."""
    @property
    def expires_at(self) -> datetime:
        """End of the current term."""
    @property
    def refundable_until(self) -> datetime:
        """Last moment a cancellation can be refunded, if no software gets activated (R29)."""
    @property
    def software_activated(self) -> bool:
        """Whether any key was revealed (P1)."""
    @property
    def benefit_ids(self) -> list[BenefitId]:
        """Its benefits."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Offer:
    """A Go-To-Market offer (R27, R28)."""

    @property
    def id(self) -> OfferId:
        """Id, e.g. `ofr-1-1`."""
    @property
    def benefit_id(self) -> BenefitId:
        """The benefit listing it."""
    @property
    def code(self) -> str:
        """Catalog code."""
    @property
    def name(self) -> str:
        """Offer type, e.g. `Silver Core`."""
    @property
    def status(self) -> Status:
        """Status column."""
    @property
    def unavailable_reason(self) -> str | None:
        """Why it cannot be activated, if so (R23)."""
    @property
    def active_at(self) -> datetime | None:
        """When it becomes active (pending) or became active."""
    @property
    def expires_at(self) -> datetime | None:
        """Expires column."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Benefit:
    """A benefit with its details (R07). Fields not of its kind are empty."""

    @property
    def id(self) -> BenefitId:
        """Id, e.g. `ben-1-4`."""
    @property
    def package_id(self) -> PackageId:
        """Package."""
    @property
    def code(self) -> str:
        """Catalog code."""
    @property
    def name(self) -> str:
        """Name."""
    @property
    def category(self) -> Category:
        """Where it is listed."""
    @property
    def status(self) -> Status:
        """Its state."""
    @property
    def languages(self) -> list[str]:
        """Software: languages offered (R09)."""
    @property
    def os_types(self) -> list[str]:
        """Software: OS types offered (R10)."""
    @property
    def key_count(self) -> int:
        """Keyed benefits: keys allocated."""
    @property
    def special_instructions(self) -> str:
        """Keyed benefits: shown with the keys."""
    @property
    def seats(self) -> int:
        """Seats: how many."""
    @property
    def assigned_users(self) -> list[UserId]:
        """Seats (and usage-based cloud, technical): who holds them."""
    @property
    def monthly_credit(self) -> Money | None:
        """Usage-based cloud: monthly credit (P6)."""
    @property
    def technical_kind(self) -> str | None:
        """Technical: `support_incidents`, `advisory_hours` or `presales_deployment`."""
    @property
    def allocated(self) -> Decimal | None:
        """Technical: allocated hours or incidents."""
    @property
    def balance(self) -> Decimal | None:
        """Technical: what is left."""
    @property
    def alternate_email(self) -> str | None:
        """Technical: the alternate email (R18)."""
    @property
    def active_at(self) -> datetime | None:
        """When it became (or becomes) active."""
    @property
    def expires_at(self) -> datetime | None:
        """When it expires, if it runs for a term."""
    @property
    def offers(self) -> list[Offer]:
        """Go-To-Market: its offers (R27)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Request:
    """An assistance request drawing hours or incidents (R21)."""

    @property
    def id(self) -> RequestId:
        """Id, e.g. `req-1-3`."""
    @property
    def benefit_id(self) -> BenefitId:
        """Benefit drawn from."""
    @property
    def requested_by(self) -> UserId:
        """Requester."""
    @property
    def requested_at(self) -> datetime:
        """When."""
    @property
    def phase(self) -> Phase:
        """Phase."""
    @property
    def amount(self) -> Decimal:
        """Hours or incidents."""
    @property
    def description(self) -> str:
        """Description."""
    @property
    def status(self) -> Status:
        """Submitted, completed or withdrawn."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Cancellation:
    """A cancellation service request and its answer (R30)."""

    @property
    def id(self) -> RequestId:
        """Id."""
    @property
    def target(self) -> PackageId | OfferId:
        """Package or offer id."""
    @property
    def requested_by(self) -> UserId:
        """Requester."""
    @property
    def requested_at(self) -> datetime:
        """When."""
    @property
    def granted(self) -> bool:
        """Whether it was granted."""
    @property
    def refund(self) -> Money | None:
        """The refund, when granted."""
    @property
    def refusal(self) -> RefundReason | None:
        """The refusal code, when refused (`window_closed`, `software_activated`, `already_cancelled`)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class MarketingContact:
    """The organization's marketing contact (R25)."""

    @property
    def user_id(self) -> UserId:
        """The user."""
    @property
    def email(self) -> str:
        """Contact email."""
    @property
    def phone(self) -> str:
        """Phone."""
    @property
    def language(self) -> str:
        """Preferred language."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Change:
    """One committed event in the changes feed: what happened where, never
    its details (so never a key).
    """

    @property
    def position(self) -> int:
        """Its place in the feed, strictly increasing in commit order; ask
        for changes `after` the last one read.
        """
    @property
    def stream(self) -> str:
        """Stream (`org-1`, `pool:windows-server`)."""
    @property
    def organization_id(self) -> OrganizationId | None:
        """The organization of the stream; none for key pools."""
    @property
    def version(self) -> int:
        """Version in the stream."""
    @property
    def at(self) -> datetime:
        """When."""
    @property
    def actor(self) -> str:
        """Who: a user id, `program` or `clock`."""
    @property
    def kind(self) -> str:
        """Event kind."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AuditEntry:
    """One audit-log line (B2): who did what when. Holds no key (B3)."""

    @property
    def stream(self) -> str:
        """Stream (`org-1`, `pool:windows-server`)."""
    @property
    def version(self) -> int:
        """Version in the stream."""
    @property
    def at(self) -> datetime:
        """When."""
    @property
    def actor(self) -> str:
        """Who: a user id, `program` or `clock`."""
    @property
    def kind(self) -> str:
        """Event kind."""
    @property
    def details(self) -> str:
        """The event as JSON."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Keys:
    """Keys revealed by "get keys", with what goes with them. No text form
    shows a key (Python `repr`, Kotlin `toString`): read them from `keys`.
    In Kotlin an object, not a data class, whose `toString` would print them.
    """

    @property
    def benefit_id(self) -> BenefitId:
        """The benefit the keys belong to."""
    @property
    def product(self) -> str:
        """Product name."""
    @property
    def keys(self) -> list[str]:
        """The keys in clear; show them only to the person who asked."""
    @property
    def download_links(self) -> list[str]:
        """Download links for the chosen language and OS."""
    @property
    def special_instructions(self) -> str:
        """Instructions to follow."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Mail:
    """A queued mail: recipients, language and the rendered text. Never holds a key."""

    @property
    def id(self) -> str:
        """Id, e.g. `mail-1-3`."""
    @property
    def organization_id(self) -> OrganizationId:
        """The organization it concerns."""
    @property
    def to(self) -> list[str]:
        """Recipients."""
    @property
    def language(self) -> str:
        """Language it was rendered in."""
    @property
    def topic(self) -> str:
        """What it is about, e.g. `subscription_assigned`."""
    @property
    def subject(self) -> str:
        """Rendered subject."""
    @property
    def body(self) -> str:
        """Rendered body."""
    @property
    def created_at(self) -> datetime:
        """When it was queued."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class OutboxEntry:
    """A mail of the outbox with where its delivery is."""

    @property
    def mail(self) -> Mail:
        """The mail."""
    @property
    def delivery(self) -> Delivery:
        """Where its delivery is."""
    @property
    def attempts(self) -> int:
        """Attempts so far."""
    @property
    def last_error(self) -> str | None:
        """The last refusal, while failed."""
    @property
    def sent_at(self) -> datetime | None:
        """When the mailer accepted it, once sent."""
    @property
    def retry_at(self) -> datetime | None:
        """While failed: not tried again before this moment."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class DispatchReport:
    """What one mail dispatch did."""

    @property
    def sent(self) -> int:
        """Mails the mailer accepted."""
    @property
    def failed(self) -> int:
        """Mails it refused; they stay queued and are retried after a pause."""
    @property
    def parked(self) -> int:
        """Mails refused for the last allowed time; parked until requeued."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class SealedUnder:
    """Sealed entries under one vault key."""

    @property
    def key_id(self) -> str:
        """The vault key's id (16 hex digits, derived one way from the key)."""
    @property
    def entries(self) -> int:
        """How many entries it seals."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class VaultStatus:
    """How the store keeps its key vault."""

    @property
    def clear(self) -> int:
        """Entries kept in clear (stocked without a vault key, as 0.1.0 did)."""
    @property
    def sealed(self) -> list[SealedUnder]:
        """Sealed entries per vault key id, ids in ascending order."""
    @property
    def sealing_key(self) -> str | None:
        """The id of the key new entries are sealed under; none without a vault key."""
    @property
    def to_reseal(self) -> int:
        """Entries a reseal would still seal: in clear or under another key."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Resealed:
    """What one reseal call did."""

    @property
    def resealed(self) -> int:
        """Entries sealed under the current vault key by this call."""
    @property
    def remaining(self) -> int:
        """Entries still in clear or under another key: call again until 0."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class KeyPool:
    """A key pool's counts (program side)."""

    @property
    def product(self) -> str:
        """The product."""
    @property
    def stocked(self) -> int:
        """Keys stocked in all."""
    @property
    def allocated(self) -> int:
        """Keys handed to packages."""
    @property
    def available(self) -> int:
        """Keys left."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Usage:
    """What is used of one benefit assigned to users (a Visual Studio
    subscription, an Azure usage-based subscription, a technical benefit).
    """

    @property
    def benefit_id(self) -> BenefitId:
        """The benefit."""
    @property
    def package_id(self) -> PackageId:
        """Its package."""
    @property
    def name(self) -> str:
        """Its name."""
    @property
    def category(self) -> Category:
        """Where it is listed."""
    @property
    def seats(self) -> int:
        """Seats in all (1 for an Azure usage-based subscription or a technical benefit)."""
    @property
    def assigned(self) -> int:
        """Users assigned now."""
    @property
    def peak(self) -> int:
        """The most users ever assigned at once during the package's life."""
    @property
    def allocated(self) -> Decimal | None:
        """Hours (or incidents) benefits: allocated."""
    @property
    def used(self) -> Decimal | None:
        """Hours benefits: drawn by requests not withdrawn."""
    @property
    def balance(self) -> Decimal | None:
        """Hours benefits: what is left."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class AssignmentResult:
    """One row of a bulk assignment (`assign_users`), in the order given:
    whether the user is (or, in a dry run, would be) assigned, else the
    code and message a single `assign_user` would have failed with.
    """

    @property
    def user_id(self) -> UserId:
        """The user of the row."""
    @property
    def ok(self) -> bool:
        """True when the user is (or would be) assigned."""
    @property
    def code(self) -> ErrorCode | None:
        """The error's stable code (`capacity_exhausted`, `not_found`, `conflict`, ...) when not."""
    @property
    def message(self) -> str | None:
        """The error's message when not."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

# ---------------------------------------------------------------- commands

@final
class Command:
    """One command, built with a constructor named after the session method it
    mirrors (`Command.purchase_package("action-pack")`). Ids and enums are
    checked when it is built; everything else when it runs.
    """

    @property
    def kind(self) -> CommandKind:
        """The command's snake_case name (`purchase_package`, ...)."""
    @staticmethod
    def add_user(
        name: str, email: str, roles: Sequence[Role] = ..., language: str | None = None
    ) -> Command:
        """Adds an employee with `roles` and a mail `language` (`Session.add_user`)."""
    @staticmethod
    def set_user_roles(user_id: UserId, roles: Sequence[Role]) -> Command:
        """Replaces a user's roles (`Session.set_user_roles`)."""
    @staticmethod
    def remove_user(user_id: UserId) -> Command:
        """Removes a user, releasing what they hold (`Session.remove_user`)."""
    @staticmethod
    def purchase_package(template: str) -> Command:
        """Buys a package of the catalog by its code (`Session.purchase_package`)."""
    @staticmethod
    def renew_package(package_id: PackageId) -> Command:
        """Renews a package inside its window (`Session.renew_package`)."""
    @staticmethod
    def cancel_package(package_id: PackageId) -> Command:
        """Requests cancellation of a package for a refund (`Session.cancel_package`)."""
    @staticmethod
    def cancel_offer(offer_id: OfferId) -> Command:
        """Requests cancellation of a Go-To-Market offer (`Session.cancel_offer`)."""
    @staticmethod
    def get_keys(benefit_id: BenefitId, language: str | None = None, os: str | None = None) -> Command:
        """Reveals keys. Through `execute` the outcome names the benefit but holds
        no key; `Session.get_keys` returns the keys themselves.
        """
    @staticmethod
    def assign_user(benefit_id: BenefitId, user_id: UserId) -> Command:
        """Assigns a Visual Studio subscription, or yourself to Azure (`Session.assign_user`)."""
    @staticmethod
    def unassign_user(benefit_id: BenefitId, user_id: UserId) -> Command:
        """Removes an assigned user (`Session.unassign_user`)."""
    @staticmethod
    def reassign_user(benefit_id: BenefitId, from_user: UserId, to_user: UserId) -> Command:
        """Removes `from_user` and assigns `to_user` in one step (`Session.reassign_user`)."""
    @staticmethod
    def activate_technical(benefit_id: BenefitId, user_id: UserId, alternate_email: str) -> Command:
        """Activates a technical benefit for a user with an alternate email (`Session.activate_technical`)."""
    @staticmethod
    def request_assistance(
        benefit_id: BenefitId, phase: Phase, amount: Decimal | int, description: str
    ) -> Command:
        """Requests assistance, drawing `amount` hours or incidents (`Session.request_assistance`)."""
    @staticmethod
    def withdraw_request(request_id: RequestId) -> Command:
        """Withdraws a submitted request; its hours return (`Session.withdraw_request`)."""
    @staticmethod
    def set_marketing_contact(user_id: UserId, email: str, phone: str, language: str) -> Command:
        """Adds, updates or changes the marketing contact (`Session.set_marketing_contact`)."""
    @staticmethod
    def activate_offer(offer_id: OfferId) -> Command:
        """Activates a Go-To-Market offer (`Session.activate_offer`)."""
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Outcome:
    """What one command did; fields not of its kind are empty. A key
    reveal's outcome names the benefit and holds no key.
    """

    @property
    def kind(self) -> str:
        """`done`, `user_added`, `package_purchased`, `package_renewed`,
        `cancellation_granted`, `cancellation_refused`, `keys_revealed`,
        `request_submitted` or `offer_activated`.
        """
    @property
    def user_id(self) -> UserId | None:
        """`user_added`: the new user."""
    @property
    def package_id(self) -> PackageId | None:
        """`package_purchased`, `package_renewed`: the package."""
    @property
    def benefit_id(self) -> BenefitId | None:
        """`keys_revealed`: the benefit."""
    @property
    def offer_id(self) -> OfferId | None:
        """`offer_activated`: the offer."""
    @property
    def request_id(self) -> RequestId | None:
        """`cancellation_*`, `request_submitted`: the request."""
    @property
    def expires_at(self) -> datetime | None:
        """`package_renewed`: the new end of term."""
    @property
    def active_at(self) -> datetime | None:
        """`offer_activated`: when it becomes active."""
    @property
    def refund(self) -> Money | None:
        """`cancellation_granted`: the refund."""
    @property
    def refusal(self) -> RefundReason | None:
        """`cancellation_refused`: why (`window_closed`, `software_activated`, `already_cancelled`)."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

# ---------------------------------------------------------------- façade

@final
class ManualClock:
    """A clock that moves only when told; for tests, demos and replays.
    `ManualClock(start)` shows `start` (an aware datetime) until moved.
    """

    def __new__(cls, start: datetime) -> ManualClock: ...
    def now(self) -> datetime:
        """The time it shows, in UTC."""
    def set(self, to: datetime) -> None:
        """Moves the clock to `to` (an aware datetime)."""
    def advance(self, by: timedelta) -> None:
        """Moves the clock forward (or back, for a negative timedelta); it stays
        inside the years 1 to 9999 that `datetime` can show.
        """

@final
class BenefitCenter:
    """The entry point: owns the store, the mailer and the clock. Safe to share
    between threads; the GIL is released while it works.

    `close()` releases the store (a SQLite file is checkpointed and closed,
    PostgreSQL connections are ended); `with BenefitCenter.open(...) as center:`
    closes it on leaving the block, also on an exception. After closing,
    every method of the center and of the sessions and programs made from it
    raises `StorageError`; `close()` again does nothing.
    """

    @staticmethod
    def open(
        target: str | PathLike[str],
        clock: ManualClock | None = None,
        mailer: Mailer | None = None,
        stock_demo_keys: bool | None = None,
        catalog: str | None = None,
        vault_key: bytes | None = None,
        previous_vault_keys: Sequence[bytes] = ...,
    ) -> BenefitCenter:
        """A center on a persistent store, chosen by `target`.

        A `str` starting with `postgres://` or `postgresql://` (in any letter
        case) is a PostgreSQL URL in the libpq form
        (`postgres://user:password@host:port/dbname?options`): the center
        keeps its data in that database, creating or migrating its `pb_`
        tables at open. The database and the role must exist. Many processes
        may share one database. Connecting gives up after 5 s.

        Anything else is a SQLite file (a `str` or `os.PathLike`, created if
        missing).

        Demo keys go into key pools never stocked when `stock_demo_keys` is
        true; by default only under a `ManualClock`. `catalog` is a catalog
        document as JSON (default: the built-in one).

        `vault_key` (32 `bytes` from the host's secret manager) seals license
        keys at rest (XChaCha20-Poly1305); `reseal_vault()` seals those kept
        in clear. Without it keys are kept in clear, as 0.1.0 did. A store
        whose keys are sealed under a key not given raises `StorageError` and
        is left unchanged. `previous_vault_keys` are keys being rotated out:
        they open what they sealed until `reseal_vault()` has moved every
        entry under `vault_key`. A key of another length raises `InvalidInput`.

        A malformed URL, an unreachable server, a failed login, a database of
        a newer schema, or an unusable file raises `StorageError`. The GIL is
        released while connecting. `repr(center)` shows the target with any
        password replaced by `***`. Use it in a `with` block, or call
        `close()`, to release the store when done.
        """
    @staticmethod
    def in_memory(
        clock: ManualClock | None = None,
        mailer: Mailer | None = None,
        stock_demo_keys: bool | None = None,
        catalog: str | None = None,
    ) -> BenefitCenter:
        """A center keeping its data in memory, for tests and demos. Demo keys
        are stocked unless `stock_demo_keys=False`.
        """
    def catalog_json(self) -> str:
        """The catalog in use, as JSON (a starting point for a host's own catalog)."""
    def now(self) -> datetime:
        """The center's current time."""
    def create_organization(
        self, *, name: str, account_email: str, admin_name: str, admin_email: str
    ) -> Organization:
        """Registers a partner company with its first Global admin."""
    def session(self, organization_id: OrganizationId, user_id: UserId) -> Session:
        """A session acting as `user_id` of `organization_id`."""
    def program(self) -> Program:
        """The program operator's side: key pools, levels, competencies, requests."""
    def process_due(self) -> int:
        """Records everything that fell due; returns the number of events."""
    def dispatch_mail(self) -> DispatchReport:
        """Sends due mail through the mailer; refused mail stays queued."""
    def outbox(self) -> list[OutboxEntry]:
        """Every mail of the outbox with its delivery state."""
    def audit_log(self, organization_id: OrganizationId) -> list[AuditEntry]:
        """The whole audit log of an organization, oldest first."""
    def changes(self, after: int = 0, limit: int = 1000) -> list[Change]:
        """Up to `limit` (1 to 10 000) committed events of every stream after
        position `after`, in commit order. Keep the last change's position
        and ask for what follows it: nothing is missed or repeated, also
        while other processes commit.
        """
    def requeue_mail(self, mail_id: str) -> None:
        """Queues a parked mail again (`InvalidTransition` unless it is parked):
        the next dispatch tries it as if new.
        """
    def vault_status(self) -> VaultStatus:
        """How the store keeps its key vault: entries in clear, sealed per
        vault key id, and the key new entries are sealed under.
        """
    def reseal_vault(self, batch: int = 1000) -> Resealed:
        """Seals up to `batch` (1 to 10 000) entries kept in clear or under a
        previous key under the vault key, in one transaction. Call until
        `remaining` is 0; a stopped run resumes, and every key stays
        readable. `PreconditionFailed` when opened without a vault key.
        """
    def close(self) -> None:
        """Releases the store: a SQLite file is checkpointed (its `-wal` folded
        in and removed) and closed, PostgreSQL connections are ended. From
        then on every method of the center, and of the sessions and programs
        made from it, raises `StorageError`. Closing again does nothing. A
        call in flight on another thread finishes first, and the store is
        released when it returns.
        """
    @property
    def closed(self) -> bool:
        """Whether `close()` was called."""
    def __enter__(self) -> BenefitCenter: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
        /,
    ) -> None: ...

@final
class Program:
    """The program operator: stocks key pools, sets levels and competencies,
    completes requests. Not one of the partner's roles. Made by
    `BenefitCenter.program`; after the center's `close()` every method raises
    `StorageError`.
    """

    def stock_keys(self, product: str, keys: Sequence[str]) -> int:
        """Adds keys to a product's pool; returns the keys now available."""
    def key_pool(self, product: str) -> KeyPool:
        """A product's pool counts."""
    def set_partner_level(self, organization_id: OrganizationId, level: PartnerLevel) -> None:
        """Sets an organization's partner level."""
    def grant_competency(self, organization_id: OrganizationId, competency: str) -> None:
        """Grants a competency."""
    def revoke_competency(self, organization_id: OrganizationId, competency: str) -> None:
        """Revokes a competency."""
    def complete_request(self, organization_id: OrganizationId, request_id: RequestId) -> None:
        """Marks an assistance request delivered."""
    def organizations(self) -> list[OrganizationId]:
        """Every organization in the store."""

@final
class Session:
    """Acts as one user of one organization; one method per command and query.
    Made by `BenefitCenter.session`; after the center's `close()` every
    method raises `StorageError`.
    """

    @property
    def organization_id(self) -> OrganizationId:
        """The organization acted on."""
    @property
    def user_id(self) -> UserId:
        """The acting user."""
    def with_idempotency_key(self, key: str) -> Session:
        """This session, applying its next command at most once under `key`."""
    def with_retries(self, retries: int) -> Session:
        """This session, retrying a command up to `retries` times on `Conflict`."""
    def execute(self, command: Command) -> Outcome:
        """Applies one command."""
    def execute_batch(self, commands: Sequence[Command]) -> list[Outcome]:
        """Applies many commands in one atomic commit: all of them or none."""
    def add_user(
        self, name: str, email: str, roles: Sequence[Role] = ..., language: str | None = None
    ) -> UserId:
        """Adds an employee; returns the new user's id."""
    def set_user_roles(self, user_id: UserId, roles: Sequence[Role]) -> None:
        """Replaces a user's roles."""
    def remove_user(self, user_id: UserId) -> None:
        """Removes a user (offboarding), releasing what they hold in one commit."""
    def purchase_package(self, template: str) -> Package:
        """Buys a package of the catalog; returns it."""
    def renew_package(self, package_id: PackageId) -> datetime:
        """Renews a package inside its window; returns the new expiry."""
    def cancel_package(self, package_id: PackageId) -> Money:
        """Requests cancellation of a package; returns the refund or raises `RefundNotAllowed`."""
    def cancel_offer(self, offer_id: OfferId) -> Money:
        """Requests cancellation of a Go-To-Market offer under the same rule."""
    def get_keys(self, benefit_id: BenefitId, language: str, os: str) -> Keys:
        """"Get keys" for software in a language and OS; activates it."""
    def get_license_keys(self, benefit_id: BenefitId) -> Keys:
        """"Get keys" for a license-based cloud subscription."""
    def assign_user(self, benefit_id: BenefitId, user_id: UserId) -> None:
        """Assigns a Visual Studio subscription, or yourself to Azure."""
    def unassign_user(self, benefit_id: BenefitId, user_id: UserId) -> None:
        """Removes an assigned user."""
    def reassign_user(self, benefit_id: BenefitId, from_user: UserId, to_user: UserId) -> None:
        """Removes `from_user` and assigns `to_user` in one step."""
    def assign_users(
        self, benefit_id: BenefitId, user_ids: Sequence[UserId], dry_run: bool = False
    ) -> list[AssignmentResult]:
        """Assigns many users to one benefit: one result per row, in order; with
        `dry_run` the same is decided and nothing is committed.
        """
    def activate_technical(self, benefit_id: BenefitId, user_id: UserId, alternate_email: str) -> None:
        """Activates a technical benefit for a user with an alternate email."""
    def request_assistance(
        self, benefit_id: BenefitId, phase: Phase, amount: Decimal | int, description: str
    ) -> RequestId:
        """Requests assistance, drawing `amount` hours (or incidents); returns the request id."""
    def withdraw_request(self, request_id: RequestId) -> None:
        """Withdraws a submitted request; its hours return."""
    def set_marketing_contact(self, user_id: UserId, email: str, phone: str, language: str) -> None:
        """Adds, updates or changes the marketing contact."""
    def activate_offer(self, offer_id: OfferId) -> datetime:
        """Activates an offer; returns when it becomes active."""
    def organization(self) -> Organization:
        """The organization."""
    def users(self) -> list[User]:
        """Its users."""
    def usage(self) -> list[Usage]:
        """What is used of every benefit assigned to users: seats, assigned, peak, hours."""
    def packages(self) -> list[Package]:
        """Its packages."""
    def package(self, package_id: PackageId) -> Package:
        """One package."""
    def benefits(self, package_id: PackageId) -> list[Benefit]:
        """The benefits of one package."""
    def all_benefits(self) -> list[Benefit]:
        """Every benefit of every package."""
    def benefits_in(self, category: Category) -> list[Benefit]:
        """Every benefit of one category."""
    def benefit(self, benefit_id: BenefitId) -> Benefit:
        """One benefit."""
    def offers(self) -> list[Offer]:
        """Every Go-To-Market offer."""
    def offer(self, offer_id: OfferId) -> Offer:
        """One offer."""
    def marketing_contact(self) -> MarketingContact | None:
        """The marketing contact, if set."""
    def requests(self) -> list[Request]:
        """Assistance requests."""
    def cancellations(self) -> list[Cancellation]:
        """Cancellation service requests and their answers."""
    def audit_log(self) -> list[AuditEntry]:
        """The organization's audit log; needs the Global admin role."""

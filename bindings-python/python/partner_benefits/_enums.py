"""The enums of partner_benefits. Each value is the core's stable snake_case name."""

from __future__ import annotations

import enum

__all__ = ["Category", "Delivery", "PartnerLevel", "Phase", "Role", "Status"]


class Role(enum.Enum):
    """A partner-side role; only a Global admin assigns benefits."""

    GLOBAL_ADMIN = "global_admin"
    USER_ADMIN = "user_admin"
    ADMIN_AGENT = "admin_agent"
    MPN_PARTNER_ADMIN = "mpn_partner_admin"


class Category(enum.Enum):
    """The five places benefits are listed."""

    SOFTWARE = "software"
    CLOUD = "cloud"
    VISUAL_STUDIO = "visual_studio"
    TECHNICAL = "technical"
    GO_TO_MARKET = "go_to_market"


class Status(enum.Enum):
    """One status vocabulary for packages, benefits, offers and requests."""

    NOT_ACTIVATED = "not_activated"
    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    PENDING = "pending"
    ACTIVE = "active"
    PARTLY_ASSIGNED = "partly_assigned"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"


class Phase(enum.Enum):
    """The phase an assistance request is for."""

    PRESALES = "presales"
    DESIGN = "design"
    DEPLOYMENT = "deployment"
    APP_DEVELOPMENT = "app_development"


class PartnerLevel(enum.Enum):
    """A partner level, lowest first."""

    MEMBER = "member"
    ACTION_PACK = "action_pack"
    SILVER = "silver"
    GOLD = "gold"


class Delivery(enum.Enum):
    """Where a mail of the outbox is."""

    PENDING = "pending"
    FAILED = "failed"
    PARKED = "parked"
    SENT = "sent"

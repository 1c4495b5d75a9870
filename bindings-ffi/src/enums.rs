//! The enums both bindings expose, one-to-one with the core's. Kotlin gets
//! them as enum classes (`Role.GLOBAL_ADMIN`); Python as the `enum.Enum`
//! classes of `partner_benefits._enums`, whose values are the snake_case
//! names written here.

use partner_benefits as core;

/// Declares an enum mirroring `core::$name` one-to-one, with its stable
/// snake_case value per variant and both conversions. A variant added to
/// the core fails the build here rather than crossing as something else.
macro_rules! mirror_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "kotlin", derive(uniffi::Enum))]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stable snake_case name, the value of the Python enum member.
            pub fn value(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }

            /// The value named `text`, if any.
            pub fn from_value(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.value() == text)
            }
        }

        impl From<core::$name> for $name {
            fn from(value: core::$name) -> Self {
                match value {
                    $(core::$name::$variant => Self::$variant,)+
                }
            }
        }

        impl From<$name> for core::$name {
            fn from(value: $name) -> Self {
                match value {
                    $($name::$variant => Self::$variant,)+
                }
            }
        }
    };
}

mirror_enum!(
    /// A role of a user (R03–R05).
    Role {
        /// Global admin: every permission; the only role that assigns benefits.
        GlobalAdmin = "global_admin",
        /// User admin: manages users and their roles.
        UserAdmin = "user_admin",
        /// Admin agent: buys and views on the company's behalf.
        AdminAgent = "admin_agent",
        /// MPN partner admin: buys, views and runs Go-To-Market tasks.
        MpnPartnerAdmin = "mpn_partner_admin",
    }
);

mirror_enum!(
    /// The five places benefits are listed (R07).
    Category {
        /// Licensed software.
        Software = "software",
        /// Cloud subscriptions.
        Cloud = "cloud",
        /// Visual Studio subscriptions.
        VisualStudio = "visual_studio",
        /// Technical benefits.
        Technical = "technical",
        /// Go-To-Market offers.
        GoToMarket = "go_to_market",
    }
);

mirror_enum!(
    /// One status vocabulary for packages, benefits, offers and requests.
    Status {
        /// Can be activated; nothing happened yet.
        NotActivated = "not_activated",
        /// An offer that may be activated.
        Available = "available",
        /// An offer the organization's level or competencies do not allow.
        Unavailable = "unavailable",
        /// Activation under way.
        Pending = "pending",
        /// In use.
        Active = "active",
        /// Seats or keys partly in use.
        PartlyAssigned = "partly_assigned",
        /// Ran out.
        Expired = "expired",
        /// Cancelled.
        Cancelled = "cancelled",
        /// A request that is submitted.
        Submitted = "submitted",
        /// A request that was completed.
        Completed = "completed",
        /// A request that was withdrawn.
        Withdrawn = "withdrawn",
    }
);

mirror_enum!(
    /// The phase an assistance request is for (R21).
    Phase {
        /// Presales.
        Presales = "presales",
        /// Solution design.
        Design = "design",
        /// Deployment.
        Deployment = "deployment",
        /// App development.
        AppDevelopment = "app_development",
    }
);

mirror_enum!(
    /// A partner level, lowest first (R23, P5).
    PartnerLevel {
        /// A network member with no paid level.
        Member = "member",
        /// A partner holding an Action Pack.
        ActionPack = "action_pack",
        /// A Silver partner.
        Silver = "silver",
        /// A Gold partner.
        Gold = "gold",
    }
);

/// Where a mail of the outbox is. The core keeps more (attempts, errors,
/// when) in its delivery state; [`crate::OutboxEntry`] spreads that out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "kotlin", derive(uniffi::Enum))]
pub enum Delivery {
    /// Not yet handed over.
    Pending,
    /// Handed over and refused; retried after a pause (`retry_at`).
    Failed,
    /// Refused as many times as allowed; kept, never retried, until requeued.
    Parked,
    /// Accepted by the mailer; never sent again.
    Sent,
}

impl Delivery {
    /// The stable snake_case name, the value of the Python enum member.
    pub fn value(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Failed => "failed",
            Self::Parked => "parked",
            Self::Sent => "sent",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_the_cores_names() {
        for role in Role::ALL {
            assert_eq!(role.value(), core::Role::from(*role).as_str());
            assert_eq!(Role::from_value(role.value()), Some(*role));
        }
        for phase in Phase::ALL {
            assert_eq!(phase.value(), core::Phase::from(*phase).as_str());
        }
        for level in PartnerLevel::ALL {
            assert_eq!(level.value(), core::PartnerLevel::from(*level).as_str());
        }
        assert_eq!(Category::ALL.len(), core::Category::ALL.len());
        assert_eq!(Category::from_value("go_to_market"), Some(Category::GoToMarket));
        assert_eq!(Status::from_value("Active"), None);
    }
}

//! What one command did, flat: `kind` names the outcome (`package_purchased`,
//! ...) and the fields of other kinds are empty, so both hosts read it the
//! same way without a class per kind.

use partner_benefits as core;

use crate::Timestamp;
use crate::record::record;
use crate::views::Money;

record! {
    /// What one command did; fields not of its kind are empty. A key
    /// reveal's outcome names the benefit and holds no key.
    pub struct Outcome {
        /// `done`, `user_added`, `package_purchased`, `package_renewed`,
        /// `cancellation_granted`, `cancellation_refused`, `keys_revealed`,
        /// `request_submitted` or `offer_activated`.
        pub kind: String,
        /// `user_added`: the new user.
        pub user_id: Option<String>,
        /// `package_purchased`, `package_renewed`: the package.
        pub package_id: Option<String>,
        /// `keys_revealed`: the benefit.
        pub benefit_id: Option<String>,
        /// `offer_activated`: the offer.
        pub offer_id: Option<String>,
        /// `cancellation_*`, `request_submitted`: the request.
        pub request_id: Option<String>,
        /// `package_renewed`: the new end of term.
        pub expires_at: Option<Timestamp>,
        /// `offer_activated`: when it becomes active.
        pub active_at: Option<Timestamp>,
        /// `cancellation_granted`: the refund.
        pub refund: Option<Money>,
        /// `cancellation_refused`: why (`window_closed`, `software_activated`, `already_cancelled`).
        pub refusal: Option<String>,
    }
}

impl Outcome {
    fn of(kind: &str) -> Self {
        Self {
            kind: kind.to_owned(),
            user_id: None,
            package_id: None,
            benefit_id: None,
            offer_id: None,
            request_id: None,
            expires_at: None,
            active_at: None,
            refund: None,
            refusal: None,
        }
    }
}

impl From<core::Outcome> for Outcome {
    fn from(outcome: core::Outcome) -> Self {
        use core::Outcome as O;
        let text = |id: &dyn ToString| Some(id.to_string());
        match outcome {
            O::Done => Self::of("done"),
            O::UserAdded { user } => Self { user_id: text(&user), ..Self::of("user_added") },
            O::PackagePurchased { package } => Self { package_id: text(&package), ..Self::of("package_purchased") },
            O::PackageRenewed { package, expires_at } => {
                Self { package_id: text(&package), expires_at: Some(expires_at), ..Self::of("package_renewed") }
            }
            O::CancellationGranted { request, refund } => {
                Self { request_id: text(&request), refund: Some(refund.into()), ..Self::of("cancellation_granted") }
            }
            O::CancellationRefused { request, reason } => {
                Self { request_id: text(&request), refusal: Some(reason.code().to_owned()), ..Self::of("cancellation_refused") }
            }
            O::KeysRevealed { reveal } => Self { benefit_id: text(&reveal.benefit), ..Self::of("keys_revealed") },
            O::RequestSubmitted { request } => Self { request_id: text(&request), ..Self::of("request_submitted") },
            O::OfferActivated { offer, active_at } => {
                Self { offer_id: text(&offer), active_at: Some(active_at), ..Self::of("offer_activated") }
            }
        }
    }
}

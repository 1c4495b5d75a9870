//! Edges of the calendar: no public call panics when a host moves the
//! clock to the first or last moment chrono supports.
#![allow(clippy::unwrap_used, clippy::panic)]

use partner_benefits::{Category, Phase, Timestamp};
use partner_benefits_scenarios::{Fixture, days};

#[test]
fn b8_commands_at_the_end_of_time_return_typed_errors_not_panics() {
    let f = Fixture::new();
    let admin = f.admin();
    let package = f.action_pack();
    let hours = admin.benefits_in(Category::Technical).unwrap().remove(0);
    let offer = admin.offers().unwrap().remove(0);
    admin.set_marketing_contact(f.mpn_admin, "marketing@outlook.com", "+1 425 555 0100", "en").unwrap();
    f.clock.set(Timestamp::MAX_UTC - days(1));
    // Each of these moves a date by days or months; none may panic.
    let results = [
        admin.activate_technical(hours.id, f.dev, "dev.alt@outlook.com").map(drop),
        admin.activate_offer(offer.id).map(drop),
        admin.renew_package(package).map(drop),
        admin.purchase_package("action-pack").map(drop),
        admin.request_assistance(hours.id, Phase::Design, 1.into(), "late").map(drop),
        admin.cancel_package(package).map(drop),
    ];
    for result in results {
        if let Err(err) = result {
            assert!(!err.code().is_empty());
        }
    }
    f.clock.advance(days(30));
    assert_eq!(f.center.now(), Timestamp::MAX_UTC);
    f.center.process_due().unwrap();
    f.center.dispatch_mail().unwrap();
    admin.all_benefits().unwrap();
    f.clock.set(Timestamp::MIN_UTC);
    admin.packages().unwrap();
    f.center.process_due().unwrap();
}

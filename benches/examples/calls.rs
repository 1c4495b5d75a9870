//! Per-call cost, from Rust, of the calls `bindings-python/benches/calls.py`
//! times through the wheel, on the same setup: the binding's overhead is the
//! difference between the two.
//!
//! `cargo run --release -p partner-benefits-benches --example calls [-- --quick]`
//!
//! Each call is made `n` times (2 000; 200 with `--quick`) on a fresh
//! in-memory center, timed as one loop; the best of 5 such runs is shown
//! (1 with `--quick`). A purchase is timed with the package view the Python
//! call returns, as the wheel builds it. `CALLS_ONLY=<name>` runs only the
//! calls whose name starts with it (for a profile).

use std::sync::Arc;
use std::time::{Duration, Instant};

use partner_benefits::catalog::BenefitKind;
use partner_benefits::values::PartnerLevel;
use partner_benefits::{BenefitCenter, Error, LicenseKey, ManualClock, OrganizationId, PackageId, Session, Timestamp, UserId};

/// Why a run could not be made.
type Failure = Box<dyn std::error::Error>;

/// The package every purchase buys.
const PACKAGE: &str = "action-pack";

struct World {
    center: BenefitCenter,
    organization: OrganizationId,
    admin: UserId,
}

impl World {
    fn new(purchases: usize) -> Result<Self, Failure> {
        let start: Timestamp = partner_benefits_benches::START.parse()?;
        let center = BenefitCenter::in_memory(Arc::new(ManualClock::new(start)))?;
        // Keys for `purchases` packages of each product the package takes keys of.
        let template = center.catalog().packages.iter().find(|p| p.code.as_str() == PACKAGE).ok_or("no such package")?;
        let demand: Vec<(String, u32)> = template
            .benefits
            .iter()
            .filter_map(|b| match &b.kind {
                BenefitKind::Software { product, keys, .. } | BenefitKind::CloudLicense { product, keys, .. } => {
                    Some((product.to_string(), *keys))
                }
                _ => None,
            })
            .collect();
        for (product, keys) in demand.iter().filter(|_| purchases > 0) {
            let keys = (0..purchases * *keys as usize).map(|n| LicenseKey::new(format!("K-{product}-{n}"))).collect::<Result<_, _>>()?;
            center.program().stock_keys(product, keys)?;
        }
        let made = center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com")?;
        center.program().set_partner_level(made.id, PartnerLevel::Member)?;
        Ok(Self { center, organization: made.id, admin: made.admin_id })
    }

    fn admin(&self) -> Session {
        self.center.session(self.organization, self.admin)
    }

    /// A world with one package bought, its admin's session and the package.
    fn with_package() -> Result<(Session, PackageId, Self), Failure> {
        let world = Self::new(1)?;
        let session = world.admin();
        let package = session.purchase_package(PACKAGE)?;
        Ok((session, package, world))
    }
}

/// `name` with the seconds per call of the best of `runs` runs of `n`
/// calls, each on what `setup` makes (untimed).
fn per_call<S>(
    name: &'static str,
    n: usize,
    runs: usize,
    setup: impl Fn() -> Result<S, Failure>,
    call: impl Fn(&S, usize) -> bool,
) -> Result<(&'static str, f64), Failure> {
    // `CALLS_ONLY=<name>` runs the calls whose name starts with it, for a profile of one.
    if std::env::var("CALLS_ONLY").is_ok_and(|only| !name.starts_with(&only)) {
        return Ok((name, f64::NAN));
    }
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let state = setup()?;
        let started = Instant::now();
        for i in 0..n {
            if !call(&state, i) {
                return Err(format!("call {i} of `{name}` did not do what it should").into());
            }
        }
        best = best.min(started.elapsed());
    }
    Ok((name, best.as_secs_f64() / n as f64))
}

fn main() -> Result<(), Failure> {
    let quick = std::env::args().any(|a| a == "--quick") || partner_benefits_benches::quick_mode();
    let (n, runs) = if quick { (200, 1) } else { (2_000, 5) };
    let mut rows = Vec::new();

    rows.push(per_call(
        "create_organization",
        n,
        runs,
        || World::new(0),
        |w, i| {
            let (account, admin) = (format!("partners@org{i}.example"), format!("admin@org{i}.example"));
            w.center.create_organization(&format!("Org {i}"), &account, "Avery Admin", &admin).is_ok()
        },
    )?);
    rows.push(per_call(
        "add_user",
        n,
        runs,
        || World::new(0).map(|w| (w.admin(), w)),
        |(s, _), i| s.add_user(&format!("User {i}"), &format!("user{i}@contoso.com"), &[]).is_ok(),
    )?);
    rows.push(per_call(
        "purchase_package (with its view)",
        n,
        runs,
        || World::new(n).map(|w| (w.admin(), w)),
        |(s, _), _| s.purchase_package(PACKAGE).and_then(|id| s.package(id)).is_ok(),
    )?);
    rows.push(per_call("benefits(package)", n, runs, World::with_package, |(s, package, _), _| {
        s.benefits(*package).is_ok_and(|b| !b.is_empty())
    })?);
    rows.push(per_call(
        "cancel_package, refused",
        n,
        runs,
        || {
            // Software revealed: the refund is refused (R29).
            let (s, package, w) = World::with_package()?;
            let office = s.benefits(package)?.into_iter().find(|b| b.code == "office-professional-plus");
            let office = office.ok_or("no office-professional-plus benefit")?;
            s.get_keys(office.id, "en", "x64")?;
            Ok((s, package, w))
        },
        |(s, package, _), _| matches!(s.cancel_package(*package), Err(Error::RefundNotAllowed { .. })),
    )?);
    rows.push(per_call(
        "assign_user",
        n,
        runs,
        || {
            // A seat per call: Visual Studio pools of 3 seats, 3 users.
            let w = World::new(n.div_ceil(3))?;
            let s = w.admin();
            let users =
                (0..3).map(|i| s.add_user(&format!("User {i}"), &format!("user{i}@contoso.com"), &[])).collect::<Result<Vec<_>, _>>()?;
            let mut seats = Vec::new();
            for _ in 0..n.div_ceil(3) {
                let package = s.purchase_package(PACKAGE)?;
                let pool = s.benefits(package)?.into_iter().find(|b| b.code == "visual-studio");
                let pool = pool.ok_or("no visual-studio benefit")?;
                seats.extend(users.iter().map(|user| (pool.id, *user)));
            }
            Ok((s, seats, w))
        },
        |(s, seats, _), i| seats.get(i).is_some_and(|(pool, user)| s.assign_user(*pool, *user).is_ok()),
    )?);

    println!("| call (Rust, in memory, {n} calls, best of {runs}) | µs per call |");
    println!("| --- | ---: |");
    for (name, seconds) in rows {
        println!("| {name} | {:.2} |", seconds * 1e6);
    }
    Ok(())
}

//! Demo keys: so that a first script can buy a package, generated keys go
//! into every key pool of the catalog that was never stocked.

use partner_benefits::catalog::BenefitKind;
use partner_benefits::{BenefitCenter, Catalog, Error, LicenseKey};

/// How many demo keys go into each never-stocked pool.
pub const DEMO_KEYS_PER_POOL: u32 = 500;

/// Every product with a key pool in the catalog, each once, in catalog order.
fn keyed_products(catalog: &Catalog) -> Vec<String> {
    let mut products: Vec<String> = Vec::new();
    for template in &catalog.packages {
        for benefit in &template.benefits {
            if let BenefitKind::Software { product, .. } | BenefitKind::CloudLicense { product, .. } = &benefit.kind {
                let product = product.as_str().to_owned();
                if !products.contains(&product) {
                    products.push(product);
                }
            }
        }
    }
    products
}

/// Stocks `DEMO-<PRODUCT>-00001`… into every pool that was never stocked. A
/// pool stocked once (with real keys, or demo keys by an earlier open) is
/// left alone, so reopening a store never adds keys.
pub fn stock_demo_keys(center: &BenefitCenter) -> Result<(), Error> {
    let program = center.program();
    for product in keyed_products(center.catalog()) {
        if program.key_pool(&product)?.stocked > 0 {
            continue;
        }
        let prefix = product.to_uppercase();
        let keys = (1..=DEMO_KEYS_PER_POOL).map(|n| LicenseKey::new(format!("DEMO-{prefix}-{n:05}"))).collect::<Result<Vec<_>, _>>()?;
        program.stock_keys(&product, keys)?;
    }
    Ok(())
}

//! Shipping and tax settings in the back office: staff change zones, rates, tax rates
//! and whether prices include tax; each change is audited and reaches checkouts priced
//! after it, never a placed order; a stale save is refused; a country ships by one zone;
//! bad input is named field by field and markup stays text.

use crate::common::checkout::{self as co, staff_with};
use crate::common::{
    account_signed_in, audited, error_shown, seeded_app, seeded_db, staff_role_with,
};
use mercato::accounts::{Email, Role};
use mercato::admin::Permission;
use mercato::checkout::place::{place, quote};
use mercato::checkout::rates::{
    self, RateDraft, RateForm, SettingsError, TaxDraft, TaxForm, Thing, ZoneDraft,
};
use mercato::checkout::CheckoutError;
use mercato::error::Rule;
use mercato::{Currency, Error, Money};
use rust_decimal::Decimal;

fn eur(s: &str) -> Money {
    Money::parse(s, Currency::EUR).expect("amount")
}

/// What an order was charged, as its row keeps it.
#[derive(Debug, PartialEq, sqlx::FromRow)]
struct Charged {
    subtotal: Decimal,
    shipping: Decimal,
    tax: Decimal,
    tax_included: bool,
    total: Decimal,
    shipping_method: String,
}

async fn charged(pool: &sqlx::PgPool, order: i64) -> Charged {
    sqlx::query_as(
        "SELECT subtotal, shipping, tax, tax_included, total, shipping_method
         FROM orders WHERE id = $1",
    )
    .bind(order)
    .fetch_one(pool)
    .await
    .expect("the order")
}

#[tokio::test]
async fn a_settings_change_reaches_new_checkouts_and_leaves_placed_orders_alone() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "rates@example.com", &[Permission::Settings]).await;
    // €20.00 to Germany by Standard (€4.95 under €50), VAT 19 % included.
    let (placed, _) = co::unpaid_order(&shop, "settings-order-0001", 1).await;
    let before = charged(&shop.pool, placed.id).await;
    assert_eq!(
        before,
        Charged {
            subtotal: Decimal::new(2000, 2),
            shipping: Decimal::new(495, 2),
            tax: Decimal::new(398, 2),
            tax_included: true,
            total: Decimal::new(2495, 2),
            shipping_method: "Standard".to_owned(),
        }
    );
    // A second checkout reviewed before the change, placed after it.
    let variant = co::variant_with_stock(&shop, 10).await;
    let cart = co::guest_cart(&shop, variant, 1).await;
    let rate = co::standard_rate(&shop).await;
    let email = Email::parse("ada@example.com").expect("email");
    let a = co::address();
    let reviewed_early = co::checkout("settings-order-0002", cart, &email, &a, rate);
    let reviewed = quote(&shop.pool, &reviewed_early)
        .await
        .expect("quote")
        .reviewed();

    // Staff raise Standard, rename it, raise German VAT and add tax on top of prices.
    let settings = rates::shipping(&shop.pool, &staff, Currency::EUR)
        .await
        .expect("the shipping settings");
    let standard = settings
        .zones
        .iter()
        .flat_map(|z| &z.rates)
        .find(|r| r.id == rate)
        .expect("the standard rate");
    let form = RateForm {
        name: "Standard parcel".into(),
        price: "6.50".into(),
        ..standard.saved.form()
    };
    let draft = RateDraft::parse(&form, Currency::EUR).expect("valid");
    rates::save_rate(
        &shop.pool,
        &staff,
        standard.zone_id,
        Some((rate, standard.version)),
        &draft,
    )
    .await
    .expect("saved");
    let tax = rates::tax(&shop.pool, &staff).await.expect("tax settings");
    let germany = tax
        .rates
        .iter()
        .find(|r| r.country == "DE" && r.region.is_empty())
        .expect("German VAT");
    let draft = TaxDraft::parse(&TaxForm {
        rate: "20".into(),
        ..germany.form()
    })
    .expect("valid");
    rates::save_tax_rate(
        &shop.pool,
        &staff,
        Some((germany.id, germany.version)),
        &draft,
    )
    .await
    .expect("saved");
    rates::set_prices_include_tax(&shop.pool, &staff, false)
        .await
        .expect("saved");
    assert_eq!(audited(&shop, "shipping.rate", rate).await, 1);
    assert_eq!(audited(&shop, "tax.rate", germany.id).await, 1);

    // The placed order is as it was.
    assert_eq!(charged(&shop.pool, placed.id).await, before);
    // The checkout reviewed before is told its total moved; nothing is placed.
    match place(&shop.pool, &reviewed_early, &reviewed).await {
        Err(Error::Rule(Rule::Checkout(CheckoutError::TotalChanged { reviewed, now }))) => {
            assert_eq!(reviewed, eur("24.95"));
            // €20.00 + €6.50, then 20 % on top: €31.80.
            assert_eq!(now, eur("31.80"));
        }
        other => panic!("expected the total to have changed, got {other:?}"),
    }
    // Reviewed again, it is priced by the new settings.
    let again = quote(&shop.pool, &reviewed_early).await.expect("quote");
    assert_eq!(again.shipping.name, "Standard parcel");
    assert_eq!(again.totals.shipping, eur("6.50"));
    assert_eq!(again.totals.tax, eur("5.30"));
    assert!(!again.totals.tax_included);
    let order = place(&shop.pool, &reviewed_early, &again.reviewed())
        .await
        .expect("placed");
    assert_eq!(
        charged(&shop.pool, order.id).await,
        Charged {
            subtotal: Decimal::new(2000, 2),
            shipping: Decimal::new(650, 2),
            tax: Decimal::new(530, 2),
            tax_included: false,
            total: Decimal::new(3180, 2),
            shipping_method: "Standard parcel".to_owned(),
        }
    );
    // And the first order still is as it was.
    assert_eq!(charged(&shop.pool, placed.id).await, before);
}

#[tokio::test]
async fn a_country_ships_by_one_zone_and_a_deleted_zone_stops_its_checkouts() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "rates@example.com", &[Permission::Settings]).await;
    let zone = |name: &str, countries: &[&str]| {
        ZoneDraft::parse(name, countries.iter().copied()).expect("valid")
    };
    match rates::save_zone(&shop.pool, &staff, None, &zone("DACH", &["AT", "CH", "DE"])).await {
        Err(Error::Fields(f)) => assert_eq!(
            f.get("countries"),
            Some("Austria is in “European Union”; Germany is in “European Union”; Switzerland is in “United Kingdom, Switzerland and Norway”. A country ships by one zone: take it out of that zone first.")
        ),
        other => panic!("expected the countries refused, got {other:?}"),
    }
    // Japan taken out of its zone, then given a zone of its own with one rate.
    let settings = rates::shipping(&shop.pool, &staff, Currency::EUR)
        .await
        .expect("settings");
    let asia = settings
        .zones
        .iter()
        .find(|z| z.name == "Australia and Japan")
        .expect("the zone");
    rates::save_zone(
        &shop.pool,
        &staff,
        Some((asia.id, asia.version)),
        &zone("Australia", &["AU"]),
    )
    .await
    .expect("saved");
    let settings = rates::shipping(&shop.pool, &staff, Currency::EUR)
        .await
        .expect("settings");
    assert_eq!(settings.unzoned, ["Japan"]);
    let japan = rates::save_zone(&shop.pool, &staff, None, &zone("Japan", &["JP"]))
        .await
        .expect("added");
    let post = RateDraft::parse(
        &RateForm {
            name: "Japan Post".into(),
            price: "15".into(),
            free_over: "100".into(),
            ..RateForm::new_rate()
        },
        Currency::EUR,
    )
    .expect("valid");
    let post = rates::save_rate(&shop.pool, &staff, japan, None, &post)
        .await
        .expect("added");
    let options = |country: &'static str| {
        let pool = shop.pool.clone();
        async move {
            let mut conn = pool.acquire().await.expect("conn");
            mercato::checkout::shipping::options_for(&mut conn, country, Currency::EUR)
                .await
                .expect("options")
                .into_iter()
                .map(|o| o.name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(options("JP").await, ["Japan Post"]);
    assert_eq!(options("AU").await, ["International"]);
    // A stale save of the zone (opened before the rename) is refused, naming who.
    match rates::save_zone(
        &shop.pool,
        &staff,
        Some((asia.id, asia.version)),
        &zone("Oceania", &["AU"]),
    )
    .await
    {
        Err(Error::Rule(Rule::Settings(SettingsError::Stale(Thing::Zone, Some(change))))) => {
            assert_eq!(change.by, "rates@example.com");
        }
        other => panic!("expected a stale save, got {other:?}"),
    }
    // Deleting the zone takes its rate; Japan is then shipped to by nobody, and a
    // checkout that chose Japan Post is asked to choose again.
    assert_eq!(
        rates::delete_zone(&shop.pool, &staff, (japan, 1))
            .await
            .expect("deleted"),
        "Japan"
    );
    assert!(options("JP").await.is_empty());
    let mut conn = shop.pool.acquire().await.expect("conn");
    match mercato::checkout::shipping::choose(&mut conn, post, "JP", Currency::EUR).await {
        Err(Error::Rule(Rule::Checkout(CheckoutError::RateNotForCountry))) => {}
        other => panic!("expected the rate gone, got {other:?}"),
    }
    assert_eq!(audited(&shop, "shipping.zone", japan).await, 2);
    assert_eq!(audited(&shop, "shipping.rate", post).await, 1);
    // Adding a rate to a zone deleted meanwhile says so.
    let late = RateDraft::parse(
        &RateForm {
            name: "Late".into(),
            price: "1".into(),
            ..RateForm::new_rate()
        },
        Currency::EUR,
    )
    .expect("valid");
    match rates::save_rate(&shop.pool, &staff, japan, None, &late).await {
        Err(Error::Rule(Rule::Settings(SettingsError::Gone(Thing::Zone)))) => {}
        other => panic!("expected the zone gone, got {other:?}"),
    }
    // Names are one per zone, and one per rate in a zone.
    match rates::save_zone(&shop.pool, &staff, None, &zone("North America", &["JP"])).await {
        Err(Error::Fields(f)) => assert_eq!(
            f.get("name"),
            Some("Another zone has this name: choose another.")
        ),
        other => panic!("expected the name refused, got {other:?}"),
    }
    let eu = settings
        .zones
        .iter()
        .find(|z| z.name == "European Union")
        .expect("EU");
    let express = eu
        .rates
        .iter()
        .find(|r| r.saved.name == "Express")
        .expect("Express");
    let renamed = RateDraft::parse(
        &RateForm {
            name: "Standard".into(),
            ..express.saved.form()
        },
        Currency::EUR,
    )
    .expect("valid");
    match rates::save_rate(
        &shop.pool,
        &staff,
        eu.id,
        Some((express.id, express.version)),
        &renamed,
    )
    .await
    {
        Err(Error::Fields(f)) => assert_eq!(
            f.get("name"),
            Some("This zone has a rate with this name: choose another.")
        ),
        other => panic!("expected the name refused, got {other:?}"),
    }
    // A rate is saved through its own zone's form only: another zone's is refused as gone.
    let elsewhere = settings
        .zones
        .iter()
        .find(|z| z.id != eu.id)
        .expect("another zone");
    match rates::save_rate(
        &shop.pool,
        &staff,
        elsewhere.id,
        Some((express.id, express.version)),
        &renamed,
    )
    .await
    {
        Err(Error::Rule(Rule::Settings(SettingsError::Gone(Thing::Rate)))) => {}
        other => panic!("expected the rate gone for that zone, got {other:?}"),
    }
    // Saved unchanged, a rate keeps its version; switched off, it is no longer offered;
    // a save opened before that is refused; deleted, it is gone from checkout.
    let unchanged = RateDraft::parse(&express.saved.form(), Currency::EUR).expect("valid");
    assert_eq!(
        rates::save_rate(
            &shop.pool,
            &staff,
            eu.id,
            Some((express.id, express.version)),
            &unchanged
        )
        .await
        .expect("saved"),
        express.id
    );
    assert_eq!(audited(&shop, "shipping.rate", express.id).await, 0);
    let off = RateDraft::parse(
        &RateForm {
            active: None,
            ..express.saved.form()
        },
        Currency::EUR,
    )
    .expect("valid");
    rates::save_rate(
        &shop.pool,
        &staff,
        eu.id,
        Some((express.id, express.version)),
        &off,
    )
    .await
    .expect("switched off");
    assert_eq!(options("DE").await, ["Standard"]);
    match rates::save_rate(
        &shop.pool,
        &staff,
        eu.id,
        Some((express.id, express.version)),
        &unchanged,
    )
    .await
    {
        Err(Error::Rule(Rule::Settings(SettingsError::Stale(Thing::Rate, Some(_))))) => {}
        other => panic!("expected a stale save, got {other:?}"),
    }
    assert_eq!(
        rates::delete_rate(
            &shop.pool,
            &staff,
            (express.id, express.version + 1),
            Currency::EUR
        )
        .await
        .expect("deleted"),
        "Express"
    );
    assert_eq!(audited(&shop, "shipping.rate", express.id).await, 2);
    // Without the settings permission, nothing is read or changed.
    let orders_only = staff_with(&shop, "orders@example.com", &[Permission::Orders]).await;
    assert!(matches!(
        rates::tax(&shop.pool, &orders_only).await,
        Err(Error::NotPermitted(_))
    ));
}

#[tokio::test]
async fn tax_rates_are_one_per_destination_and_a_region_overrides_its_country() {
    let shop = seeded_db().await;
    let staff = staff_with(&shop, "rates@example.com", &[Permission::Settings]).await;
    let draft = |country: &str, region: &str, rate: &str| {
        TaxDraft::parse(&TaxForm {
            country: country.into(),
            region: region.into(),
            name: "Sales tax".into(),
            rate: rate.into(),
        })
        .expect("valid")
    };
    match rates::save_tax_rate(&shop.pool, &staff, None, &draft("US", "california", "8")).await {
        Err(Error::Fields(f)) => assert_eq!(
            f.get("region"),
            Some("This region has a rate already: change that one instead.")
        ),
        other => panic!("expected a duplicate refused, got {other:?}"),
    }
    let texas = rates::save_tax_rate(&shop.pool, &staff, None, &draft("US", "Texas", "6.25"))
        .await
        .expect("added");
    let mut conn = shop.pool.acquire().await.expect("conn");
    let rate = |region: &'static str| {
        let pool = shop.pool.clone();
        async move {
            let mut conn = pool.acquire().await.expect("conn");
            mercato::checkout::shipping::tax_rate(&mut conn, "US", region)
                .await
                .expect("tax")
                .map(|t| t.rate)
        }
    };
    assert_eq!(rate("TX").await, Some(Decimal::new(625, 2)));
    assert_eq!(rate("WA").await, None);
    // Ontario's HST is charged instead of Canada's GST; without it, the GST.
    let canada = |region: &'static str| {
        let pool = shop.pool.clone();
        async move {
            let mut conn = pool.acquire().await.expect("conn");
            mercato::checkout::shipping::tax_rate(&mut conn, "CA", region)
                .await
                .expect("tax")
                .map(|t| (t.name, t.rate))
        }
    };
    assert_eq!(
        canada("ON").await,
        Some(("HST".to_owned(), Decimal::new(13000, 3)))
    );
    assert_eq!(
        canada("BC").await,
        Some(("GST".to_owned(), Decimal::new(5000, 3)))
    );
    let settings = rates::tax(&shop.pool, &staff).await.expect("tax settings");
    let ontario = settings
        .rates
        .iter()
        .find(|r| r.country == "CA" && r.region == "ON")
        .expect("Ontario");
    // Saved unchanged: no new version, nothing audited (19.000 in the column is 19).
    let same = TaxDraft::parse(&ontario.form()).expect("valid");
    rates::save_tax_rate(
        &shop.pool,
        &staff,
        Some((ontario.id, ontario.version)),
        &same,
    )
    .await
    .expect("saved");
    assert_eq!(audited(&shop, "tax.rate", ontario.id).await, 0);
    let raised = TaxDraft::parse(&TaxForm {
        rate: "15".into(),
        ..ontario.form()
    })
    .expect("valid");
    rates::save_tax_rate(
        &shop.pool,
        &staff,
        Some((ontario.id, ontario.version)),
        &raised,
    )
    .await
    .expect("saved");
    match rates::save_tax_rate(
        &shop.pool,
        &staff,
        Some((ontario.id, ontario.version)),
        &same,
    )
    .await
    {
        Err(Error::Rule(Rule::Settings(SettingsError::Stale(Thing::TaxRate, Some(c))))) => {
            assert_eq!(c.by, "rates@example.com")
        }
        other => panic!("expected a stale save, got {other:?}"),
    }
    // A deletion from a page opened before the raise is refused too.
    match rates::delete_tax_rate(&shop.pool, &staff, (ontario.id, ontario.version)).await {
        Err(Error::Rule(Rule::Settings(SettingsError::Stale(Thing::TaxRate, _)))) => {}
        other => panic!("expected a stale deletion, got {other:?}"),
    }
    rates::delete_tax_rate(&shop.pool, &staff, (ontario.id, ontario.version + 1))
        .await
        .expect("deleted");
    assert_eq!(
        canada("ON").await,
        Some(("GST".to_owned(), Decimal::new(5000, 3)))
    );
    // A second country-wide rate is refused by its field.
    match rates::save_tax_rate(&shop.pool, &staff, None, &draft("CA", "", "7")).await {
        Err(Error::Fields(f)) => assert_eq!(
            f.get("country"),
            Some("This country has a country-wide rate already: change that one instead.")
        ),
        other => panic!("expected a duplicate refused, got {other:?}"),
    }
    rates::delete_tax_rate(&shop.pool, &staff, (texas, 1))
        .await
        .expect("deleted");
    assert_eq!(rate("TX").await, None);
    assert_eq!(audited(&shop, "tax.rate", texas).await, 2);
    // Whether prices include tax: audited when it changes, not when saved unchanged.
    assert!(mercato::checkout::shipping::prices_include_tax(&mut conn)
        .await
        .expect("read"));
    rates::set_prices_include_tax(&shop.pool, &staff, true)
        .await
        .expect("unchanged");
    rates::set_prices_include_tax(&shop.pool, &staff, false)
        .await
        .expect("changed");
    assert!(!mercato::checkout::shipping::prices_include_tax(&mut conn)
        .await
        .expect("read"));
    let entries: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'setting' AND subject_id = 'prices_include_tax'",
    )
    .fetch_one(&shop.pool)
    .await
    .expect("audit");
    assert_eq!(entries, 1);
    // The start-up variable seeds a shop that never chose, and never overrides staff.
    assert!(!rates::seed_prices_include_tax(&shop.pool, true)
        .await
        .expect("seeded"));
    let fresh = seeded_db().await;
    assert!(!rates::seed_prices_include_tax(&fresh.pool, false)
        .await
        .expect("seeded"));
    // Staff who keep the default have chosen too: a later variable does not override.
    let other = seeded_db().await;
    let owner = staff_with(&other, "owner@example.com", &[Permission::Settings]).await;
    rates::set_prices_include_tax(&other.pool, &owner, true)
        .await
        .expect("kept");
    assert!(rates::seed_prices_include_tax(&other.pool, false)
        .await
        .expect("seeded"));
}

#[tokio::test]
async fn bad_settings_forms_are_named_field_by_field_and_markup_stays_text() {
    let app = seeded_app().await;
    staff_role_with(&app.pool, "Owner", &[Permission::Settings]).await;
    let cookie = account_signed_in(&app, "owner@example.com", Role::Staff, Some("Owner")).await;
    let zone: i64 =
        sqlx::query_scalar("SELECT id FROM shipping_zones WHERE name = 'European Union'")
            .fetch_one(&app.pool)
            .await
            .expect("the zone");
    let page = format!("/admin/settings/shipping?rate=new&zone={zone}");
    let res = app
        .post_form(
            "/api/admin/settings/shipping/rate",
            &format!("zone={zone}&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&price=abc&min_days=5&max_days=3"),
            Some(&cookie),
            &page,
        )
        .await;
    let shown = error_shown(&app, res, &cookie).await;
    for message in [
        "come before the earliest.",
        "Enter a number such as 1234.50",
        "Some fields need another look",
    ] {
        assert!(shown.contains(message), "{message}: {shown}");
    }
    // What was typed is back in the form, as text.
    assert!(shown.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!shown.contains("<script>alert(1)"));
    let rates: i64 = sqlx::query_scalar("SELECT count(*) FROM shipping_rates WHERE zone_id = $1")
        .bind(zone)
        .fetch_one(&app.pool)
        .await
        .expect("rates");
    assert_eq!(rates, 2, "nothing added");
    // A zone named with markup is shown as text on the list.
    let res = app
        .call(
            "/api/admin/settings/shipping/zone",
            &format!(
                "id={zone}&version=1&name=%3Cb%3EEU%3C%2Fb%3E&countries[DE]=on&countries[FR]=on"
            ),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    let list = app.page("/admin/settings/shipping", &cookie).await;
    assert!(list.contains("&lt;b&gt;EU&lt;/b&gt;"));
    assert!(list.contains("Not shipped to (in no zone): Austria, Belgium"));
    // A tax rate for a region where addresses have none, at 100 %.
    let res = app
        .call(
            "/api/admin/settings/tax/rate",
            "country=DE&region=Bavaria&name=VAT&rate=100",
            Some(&cookie),
        )
        .await;
    let error = crate::common::answered_error(res, 422).await;
    match error {
        app::error::AppError::Fields(f) => {
            assert!(f
                .get("region")
                .is_some_and(|m| m.contains("leave this empty")));
            assert_eq!(f.get("rate"), Some("A tax rate is less than 100 %."));
        }
        other => panic!("expected field errors, got {other:?}"),
    }
    // A deletion without its box ticked deletes nothing.
    let res = app
        .call(
            "/api/admin/settings/shipping/delete",
            &format!("what=zone&id={zone}&version=2"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 422);
    let zones: i64 = sqlx::query_scalar("SELECT count(*) FROM shipping_zones WHERE id = $1")
        .bind(zone)
        .fetch_one(&app.pool)
        .await
        .expect("zones");
    assert_eq!(zones, 1);
}

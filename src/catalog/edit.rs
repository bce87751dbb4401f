//! The product editor's rules: what staff type ([`ProductForm`]), parsed field by field
//! into a [`ProductDraft`] (each error named after the field it belongs beside), the
//! variant matrix the options make, and the save (create or update) in one transaction
//! with its audit entry, refused when someone else saved the product after the editor
//! was opened.
//!
//! Options keep their values (`product_options.option_values`), so a value just added
//! makes the editor offer the combinations it has no variant for yet; a combination
//! becomes a variant when staff give it a SKU and a price. Taking a value out removes
//! the variants that have it, only once staff confirm it (the refusal lists them).

use super::{ProductStatus, Slug};
use crate::error::FieldErrors;
use crate::money::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A product has at most this many options (Size, Colour, Material).
pub const MAX_OPTIONS: usize = 3;
/// An option has at most this many values.
pub const MAX_VALUES: usize = 50;
/// A product has at most this many variants (and its options this many combinations).
pub const MAX_VARIANTS: usize = 250;
/// The heaviest a variant may be, in grams.
pub const MAX_WEIGHT_GRAMS: i32 = 1_000_000;
/// The highest price staff may set, in the currency's units: far above any product's,
/// and far below what an order's totals could not hold.
pub const MAX_PRICE: u32 = 1_000_000;

/// An option as the editor's form sends it: its name and its values, comma-separated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OptionForm {
    pub name: String,
    pub values: String,
}

/// A row of the editor's variant table as the form sends it, every field as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VariantForm {
    /// The saved variant's id; empty for a combination offered but not created yet.
    pub id: String,
    /// The row's value of each option, by the option's row in the form (empty for an
    /// option added since: the variant takes its first value).
    pub option1: String,
    pub option2: String,
    pub option3: String,
    pub sku: String,
    pub price: String,
    pub compare_at: String,
    /// Grams, a whole number; empty is 0.
    pub weight: String,
    /// Ticked: its stock is not tracked (orders take none; it is always for sale).
    /// Unticked, the safe default, its stock is counted.
    pub untracked: String,
    /// Ticked: remove this variant (or do not create it).
    pub remove: String,
}

impl VariantForm {
    fn option(&self, row: usize) -> &str {
        match row {
            0 => &self.option1,
            1 => &self.option2,
            _ => &self.option3,
        }
    }
}

/// The whole editor's form, as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductForm {
    pub name: String,
    /// Empty: made from the name.
    pub slug: String,
    pub description: String,
    pub status: String,
    pub category: String,
    pub seo_title: String,
    pub seo_description: String,
    /// Up to [`MAX_OPTIONS`] rows; blank rows are no option.
    pub options: Vec<OptionForm>,
    pub variants: Vec<VariantForm>,
    /// Ticked: staff confirm removing the variants whose values they took out.
    pub confirm_removal: String,
}

/// An option with its values, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionDraft {
    pub name: String,
    pub values: Vec<String>,
}

/// A variant to keep (with its id) or create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDraft {
    /// The form's row it came from (errors found while saving are put beside it).
    pub row: usize,
    pub id: Option<i64>,
    /// One value per option, in the options' order.
    pub values: Vec<String>,
    pub sku: super::Sku,
    pub price: Money,
    pub compare_at: Option<Money>,
    pub weight_grams: i32,
    /// Whether orders take its stock.
    pub track_stock: bool,
}

/// A product as staff mean it to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: String,
    pub slug: Slug,
    pub description: String,
    pub status: ProductStatus,
    pub category: i64,
    pub seo_title: Option<String>,
    pub seo_description: Option<String>,
    pub options: Vec<OptionDraft>,
    /// In the order they are listed.
    pub variants: Vec<VariantDraft>,
    /// Saved variants to remove.
    pub removed: Vec<i64>,
}

/// Whether a checkbox was ticked: it sends "on" (anything else, such as "false" from a
/// script, is not a tick).
fn ticked(value: &str) -> bool {
    value == CHECKED
}

/// What a ticked checkbox sends.
const CHECKED: &str = "on";

impl VariantForm {
    /// Ticks (or clears) the row's "Not tracked" box.
    pub fn set_tracked(&mut self, tracked: bool) {
        self.untracked = if tracked { "" } else { CHECKED }.to_owned();
    }
}

/// Trimmed text of at most `max` characters, or the field's error.
fn text(errors: &mut FieldErrors, field: &str, value: &str, max: usize, what: &str) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("{what} can be up to {max} characters."));
    }
    if value.contains('\0') {
        errors.add(
            field,
            format!("{what} has a character that can't be stored (NUL): remove it."),
        );
    }
    value.to_owned()
}

fn optional(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

/// Every combination of the options' values, the first option's value changing
/// slowest; one empty combination when there are no options (the one variant of a
/// product without options).
pub fn combinations(options: &[OptionDraft]) -> Vec<Vec<String>> {
    options.iter().fold(vec![Vec::new()], |done, option| {
        done.iter()
            .flat_map(|prefix| {
                option.values.iter().map(move |value| {
                    let mut next = prefix.clone();
                    next.push(value.clone());
                    next
                })
            })
            .collect()
    })
}

/// How many combinations the options make (without making them).
pub fn combination_count(options: &[OptionDraft]) -> usize {
    options
        .iter()
        .map(|o| o.values.len())
        .fold(1usize, usize::saturating_mul)
}

/// One row of the variant table: a combination, and what has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixRow<V> {
    pub values: Vec<String>,
    /// The saved variant with this combination; `None`: offered, not created yet.
    pub variant: Option<V>,
    /// False for a saved variant whose values are no longer all among the options'.
    pub fits: bool,
}

/// The editor's table: a row per combination of the options' values (with the saved
/// variant that has it, if any), then saved variants that fit no combination.
pub fn matrix<V>(options: &[OptionDraft], saved: Vec<(Vec<String>, V)>) -> Vec<MatrixRow<V>> {
    let mut saved: Vec<Option<(Vec<String>, V)>> = saved.into_iter().map(Some).collect();
    let mut rows: Vec<MatrixRow<V>> = combinations(options)
        .into_iter()
        .map(|values| {
            let variant = saved
                .iter_mut()
                .find(|s| s.as_ref().is_some_and(|(v, _)| *v == values))
                .and_then(Option::take)
                .map(|(_, variant)| variant);
            MatrixRow {
                values,
                variant,
                fits: true,
            }
        })
        .collect();
    rows.extend(
        saved
            .into_iter()
            .flatten()
            .map(|(values, variant)| MatrixRow {
                values,
                variant: Some(variant),
                fits: false,
            }),
    );
    rows
}

impl ProductDraft {
    /// Parses the editor's form: every problem is reported, each by its field
    /// (`name`, `options[1][values]`, `variants[3][price]`, …; `options` for what the
    /// options as a whole do to the variants). Prices are read at `currency`'s scale.
    pub fn parse(form: &ProductForm, currency: Currency) -> Result<ProductDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        // No page of ours sends more rows than a product has combinations (and a few
        // saved variants that no longer fit): refused before reading any.
        if form.variants.len() > 2 * MAX_VARIANTS || form.options.len() > MAX_OPTIONS {
            errors.add(
                "options",
                "This form has more rows than a product can have. Reload the page.",
            );
            return Err(errors);
        }
        let name = text(&mut errors, "name", &form.name, 200, "A name");
        if name.is_empty() {
            errors.add("name", "Enter the product's name.");
        }
        let slug = Slug::from_form(&form.slug, &name, Slug::MAX_LEN);
        if slug.is_none() && (!form.slug.trim().is_empty() || !name.is_empty()) {
            errors.add(
                "slug",
                "Use lowercase letters, digits and single hyphens (such as merino-hoodie), up to 200 characters.",
            );
        }
        let description = form.description.replace("\r\n", "\n");
        let description = text(
            &mut errors,
            "description",
            &description,
            20_000,
            "A description",
        );
        let status = ProductStatus::parse(form.status.trim());
        if status.is_none() {
            errors.add("status", "Choose draft, active or archived.");
        }
        let category = form.category.trim().parse::<i64>().ok();
        if category.is_none() {
            errors.add("category", "Choose a category.");
        }
        let seo_title = optional(text(
            &mut errors,
            "seo_title",
            &form.seo_title,
            200,
            "An SEO title",
        ));
        let seo_description = optional(text(
            &mut errors,
            "seo_description",
            &form.seo_description,
            400,
            "An SEO description",
        ));

        let (options, rows) = parse_options(&mut errors, &form.options);
        let (variants, removed) = parse_variants(&mut errors, form, &options, &rows, currency);
        // (Not when a variant was given but has an error of its own: that one says it.)
        let variant_errors = errors.0.iter().any(|e| e.field.starts_with("variants["));
        if status == Some(ProductStatus::Active) && variants.is_empty() && !variant_errors {
            errors.add(
                "status",
                "A product on sale needs at least one variant with a SKU and a price. Keep it a draft until it has one.",
            );
        }

        match (slug, status, category) {
            (Some(slug), Some(status), Some(category)) if errors.is_empty() => Ok(ProductDraft {
                name,
                slug,
                description,
                status,
                category,
                seo_title,
                seo_description,
                options,
                variants,
                removed,
            }),
            _ => Err(errors),
        }
    }
}

/// The options of the form's rows (blank rows left out), and the form row each came
/// from.
fn parse_options(errors: &mut FieldErrors, rows: &[OptionForm]) -> (Vec<OptionDraft>, Vec<usize>) {
    let mut options: Vec<OptionDraft> = Vec::new();
    let mut from_rows = Vec::new();
    for (row, option) in rows.iter().enumerate().take(MAX_OPTIONS) {
        let name_field = format!("options[{row}][name]");
        let values_field = format!("options[{row}][values]");
        let name = text(errors, &name_field, &option.name, 50, "An option's name");
        let values: Vec<String> = option
            .values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        if name.is_empty() && values.is_empty() {
            continue;
        }
        if name.is_empty() {
            errors.add(
                &name_field,
                "Name this option (such as Size), or clear its values.",
            );
        } else if name.contains(':') {
            // The shop's filters are written `name:value`.
            errors.add(&name_field, "An option's name can't contain a colon.");
        } else if options.iter().any(|o| o.name.eq_ignore_ascii_case(&name)) {
            errors.add(&name_field, "Two options can't have the same name.");
        }
        if values.is_empty() {
            errors.add(
                &values_field,
                "List this option's values, separated by commas (such as S, M, L).",
            );
        }
        let mut seen = HashSet::new();
        for value in &values {
            if value.chars().count() > 50 {
                errors.add(&values_field, "A value can be up to 50 characters.");
            }
            if value.contains('\0') {
                errors.add(
                    &values_field,
                    "A value has a character that can't be stored (NUL): remove it.",
                );
            }
            if !seen.insert(value.to_lowercase()) {
                errors.add(&values_field, format!("{value} is listed twice."));
            }
        }
        if values.len() > MAX_VALUES {
            errors.add(
                &values_field,
                format!("An option can have up to {MAX_VALUES} values."),
            );
        }
        options.push(OptionDraft { name, values });
        from_rows.push(row);
    }
    let count = combination_count(&options);
    if count > MAX_VARIANTS {
        errors.add(
            "options",
            format!("These options make {count} combinations; a product can have up to {MAX_VARIANTS} variants."),
        );
    }
    (options, from_rows)
}

/// The variants to keep or create, and the saved ones to remove: those ticked, and
/// those whose values were taken out, only once staff confirm it.
fn parse_variants(
    errors: &mut FieldErrors,
    form: &ProductForm,
    options: &[OptionDraft],
    option_rows: &[usize],
    currency: Currency,
) -> (Vec<VariantDraft>, Vec<i64>) {
    let max_price = Decimal::from(MAX_PRICE);
    let mut variants: Vec<VariantDraft> = Vec::new();
    let mut removed = Vec::new();
    let mut removing = Vec::new();
    let mut ids = HashSet::new();
    let mut combos = HashSet::new();
    let mut skus = HashSet::new();
    for (n, row) in form.variants.iter().enumerate() {
        let field = |name: &str| format!("variants[{n}][{name}]");
        let id = match row.id.trim() {
            "" => None,
            id => match id.parse::<i64>() {
                Ok(id) if ids.insert(id) => Some(id),
                _ => {
                    errors.add(
                        &field("sku"),
                        "This row is not one of the product's variants: reload the page.",
                    );
                    continue;
                }
            },
        };
        // Its values by the options as they are now; an option added since gives it
        // its first value.
        let values: Vec<String> = options
            .iter()
            .zip(option_rows)
            .map(|(option, &r)| match row.option(r).trim() {
                "" => option.values.first().cloned().unwrap_or_default(),
                v => v.to_owned(),
            })
            .collect();
        let fits = values
            .iter()
            .zip(options)
            .all(|(v, o)| o.values.iter().any(|ov| ov == v));
        let blank = row.sku.trim().is_empty() && row.price.trim().is_empty();
        match id {
            Some(id) if ticked(&row.remove) || !fits => {
                removing.push(row.sku.trim().to_owned());
                removed.push(id);
                continue;
            }
            None if ticked(&row.remove) || !fits || blank => continue,
            _ => {}
        }
        let sku = super::Sku::from_typed(&row.sku);
        if sku.is_err() {
            errors.add(
                &field("sku"),
                if row.sku.trim().is_empty() {
                    "Enter a SKU."
                } else {
                    "A SKU uses letters, digits and hyphens, starting with a letter or digit (up to 64)."
                },
            );
        }
        let price = Money::parse_typed(&row.price, currency)
            .map_err(|e| e.to_string())
            .and_then(|p| {
                if p.amount() > max_price {
                    Err(format!(
                        "A price can be up to {}.",
                        Money::new(max_price, currency)
                    ))
                } else {
                    Ok(p)
                }
            });
        if let Err(e) = &price {
            errors.add(&field("price"), e.clone());
        }
        let compare_at = match row.compare_at.trim() {
            "" => Ok(None),
            typed => Money::parse_typed(typed, currency).map(Some),
        };
        match (&compare_at, &price) {
            (Err(e), _) => errors.add(&field("compare_at"), e.to_string()),
            (Ok(Some(was)), Ok(price)) if was.amount() <= price.amount() => errors.add(
                &field("compare_at"),
                "The compare-at price shows what it cost before: make it higher than the price, or leave it empty.",
            ),
            (Ok(Some(was)), _) if was.amount() > max_price => errors.add(
                &field("compare_at"),
                format!("A price can be up to {}.", Money::new(max_price, currency)),
            ),
            _ => {}
        }
        let weight = match row.weight.trim() {
            "" => Some(0),
            w => w
                .parse::<i32>()
                .ok()
                .filter(|w| (0..=MAX_WEIGHT_GRAMS).contains(w)),
        };
        if weight.is_none() {
            errors.add(
                &field("weight"),
                format!("Enter the weight in whole grams, 0 to {MAX_WEIGHT_GRAMS}."),
            );
        }
        if !combos.insert(values.clone()) {
            errors.add(
                "options",
                if values.is_empty() {
                    "A product without options has one variant. Add an option (such as Size) to give it more.".to_owned()
                } else {
                    format!(
                        "Two variants would have the same option values ({}): change or remove one.",
                        values.join(" / ")
                    )
                },
            );
        }
        if let Ok(sku) = &sku {
            if !skus.insert(sku.as_str().to_owned()) {
                errors.add(&field("sku"), "Two variants can't share a SKU.");
            }
        }
        if let (Ok(sku), Ok(price), Ok(compare_at), Some(weight_grams)) =
            (sku, price, compare_at, weight)
        {
            variants.push(VariantDraft {
                row: n,
                id,
                values,
                sku,
                price,
                compare_at,
                weight_grams,
                track_stock: !ticked(&row.untracked),
            });
        }
    }
    if !removing.is_empty() && !ticked(&form.confirm_removal) {
        let n = removing.len();
        errors.add(
            "options",
            format!(
                "Saving removes {} ({}), with their stock history. Tick \"Remove those variants\" to confirm, or untick Remove and put the values back.",
                if n == 1 { "1 variant".to_owned() } else { format!("{n} variants") },
                removing.join(", ")
            ),
        );
    }
    if variants.len() > MAX_VARIANTS {
        errors.add(
            "options",
            format!("A product can have up to {MAX_VARIANTS} variants."),
        );
    }
    (variants, removed)
}

/// A saved variant, as the editor shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedVariant {
    pub id: i64,
    pub sku: String,
    /// As staff would type it (`12.50`).
    pub price: String,
    pub compare_at: String,
    pub weight_grams: i32,
    pub track_stock: bool,
    pub on_hand: i32,
}

/// Who saved a product last, and when.
pub use crate::admin::audit::LastChange;

/// What the editor shows: the product as saved (`None` fields for a new one), its
/// variant table, and the categories to choose from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Editor {
    /// `None` for a new product.
    pub id: Option<i64>,
    /// The version this editor is based on (0 for a new product).
    pub version: i32,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub status: ProductStatus,
    pub category: Option<i64>,
    pub seo_title: String,
    pub seo_description: String,
    pub last_change: Option<LastChange>,
    pub options: Vec<OptionDraft>,
    pub rows: Vec<MatrixRow<SavedVariant>>,
    pub categories: Vec<super::staff::CategoryChoice>,
    /// Its pictures, in order (none for a new product).
    pub images: Vec<super::images::StaffImage>,
    pub currency: Currency,
}

/// The version an editor's form was opened at: 0 for a new product (`id` `None`),
/// else the form's `version` field; `None` when a product's form lacks one.
pub fn opened_version(id: Option<i64>, typed: &str) -> Option<i32> {
    match id {
        None => Some(0),
        Some(_) => typed.trim().parse().ok(),
    }
}

/// A product was saved (created or updated): its id and new version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub id: i64,
    pub version: i32,
}

/// A catalog change the rules refuse, in the words staff read above the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum CatalogError {
    /// Someone saved the product after this editor was opened (who and when, from the
    /// audit log, when it has an entry).
    #[error("{}", stale_message(.0.as_ref()))]
    Stale(Option<LastChange>),
    /// A variant to remove still has units on hand.
    #[error("{sku} has {units} on hand: bring its stock to 0 on the Inventory page first (that records why), then remove it.")]
    StockOnHand { sku: String, units: i32 },
    /// A category to delete has subcategories.
    #[error("It has {} subcategor{}: move or delete them first.", .0, if *.0 == 1 { "y" } else { "ies" })]
    HasSubcategories(i64),
    /// A category to delete has products and no category was chosen for them.
    #[error("It has {} product{}: choose the category they move to.", .0, if *.0 == 1 { "" } else { "s" })]
    ProductsNeedAHome(i64),
    /// An import asked to be applied that cannot be now (in this state).
    #[error("{}", import_not_ready(*.0))]
    ImportNotReady(super::imports::ImportState),
}

fn import_not_ready(state: super::imports::ImportState) -> &'static str {
    use super::imports::ImportState;
    match state {
        ImportState::Checking => "It is still being checked: apply it when the check is done.",
        ImportState::Applying => "It is being applied already.",
        ImportState::Applied => "It was applied already. To apply the file again, upload it again: what it changed already is not changed twice.",
        ImportState::Failed => "It stopped before finishing: upload the file again.",
        ImportState::Checked => "Nothing of it can be applied: correct the problems listed and upload it again.",
    }
}

fn stale_message(change: Option<&LastChange>) -> String {
    let who = LastChange::who(change, "saved", "product");
    format!(
        "Not saved: {who}, after you opened it. What you typed in its fields is still below (variant rows that changed show what is saved now). Saving again replaces their changes with yours; to keep theirs, open the product again."
    )
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::db::constraint::{violated, OnConstraint};
    use crate::Error;
    use serde_json::{json, Map, Value};
    use sqlx::{PgConnection, PgPool};

    /// The editor for product `id`, or for a new product (`None`).
    pub async fn editor(
        pool: &PgPool,
        id: Option<i64>,
        currency: Currency,
    ) -> Result<Editor, Error> {
        let categories = super::super::staff::category_choices(pool).await?;
        let Some(id) = id else {
            return Ok(Editor {
                id: None,
                version: 0,
                name: String::new(),
                slug: String::new(),
                description: String::new(),
                status: ProductStatus::Draft,
                category: None,
                seo_title: String::new(),
                seo_description: String::new(),
                last_change: None,
                options: Vec::new(),
                rows: matrix(&[], Vec::new()),
                categories,
                images: Vec::new(),
                currency,
            });
        };
        let mut conn = pool.acquire().await?;
        let SavedProduct {
            product,
            options,
            variants,
        } = saved(&mut conn, id).await?.ok_or(Error::NotFound)?;
        let saved = variants
            .into_iter()
            .map(|v| {
                let (price, compare_at) = v.typed_prices(currency);
                let values = [v.option1, v.option2, v.option3]
                    .into_iter()
                    .take(options.len())
                    .map(Option::unwrap_or_default)
                    .collect();
                (
                    values,
                    SavedVariant {
                        id: v.id,
                        sku: v.sku,
                        price,
                        compare_at,
                        weight_grams: v.weight_grams,
                        track_stock: v.track_stock,
                        on_hand: v.on_hand,
                    },
                )
            })
            .collect();
        Ok(Editor {
            id: Some(id),
            version: product.version,
            name: product.name,
            slug: product.slug,
            description: product.description,
            status: product.status,
            category: Some(product.category_id),
            seo_title: product.seo_title.unwrap_or_default(),
            seo_description: product.seo_description.unwrap_or_default(),
            last_change: last_change(&mut conn, id).await?,
            rows: matrix(&options, saved),
            options,
            categories,
            images: super::super::images::list(pool, id).await?,
            currency,
        })
    }

    /// A product's own fields as saved.
    struct ProductRow {
        name: String,
        slug: String,
        description: String,
        status: ProductStatus,
        category_id: i64,
        seo_title: Option<String>,
        seo_description: Option<String>,
        version: i32,
    }

    /// A variant as saved, with its stock: what the editor, an import's overlay and
    /// the export each start from.
    pub(crate) struct VariantRow {
        pub product_id: i64,
        pub id: i64,
        pub sku: String,
        pub option1: Option<String>,
        pub option2: Option<String>,
        pub option3: Option<String>,
        pub price: Decimal,
        pub compare_at_price: Option<Decimal>,
        pub weight_grams: i32,
        pub track_stock: bool,
        pub on_hand: i32,
    }

    impl VariantRow {
        /// Its price and compare-at price as staff would type them (`12.50`; no
        /// compare-at price: empty).
        pub fn typed_prices(&self, currency: Currency) -> (String, String) {
            (
                Money::new(self.price, currency).typed(),
                Money::typed_or_empty(self.compare_at_price, currency),
            )
        }
    }

    /// The variants of products `ids` as saved, by product, each product's in their
    /// order.
    pub(crate) async fn saved_variants(
        conn: &mut PgConnection,
        ids: &[i64],
    ) -> Result<Vec<VariantRow>, Error> {
        Ok(sqlx::query_as!(
            VariantRow,
            r#"SELECT v.product_id, v.id, v.sku, v.option1, v.option2, v.option3, v.price,
                      v.compare_at_price, v.weight_grams, v.track_stock,
                      coalesce(i.on_hand, 0) AS "on_hand!"
               FROM variants v LEFT JOIN inventory i ON i.variant_id = v.id
               WHERE v.product_id = ANY ($1) ORDER BY v.product_id, v.position, v.id"#,
            ids
        )
        .fetch_all(&mut *conn)
        .await?)
    }

    /// A product, its options and its variants (in their order) as saved.
    struct SavedProduct {
        product: ProductRow,
        options: Vec<OptionDraft>,
        variants: Vec<VariantRow>,
    }

    /// Product `id` as saved (`None`: there is none), for the editor and for imports.
    async fn saved(conn: &mut PgConnection, id: i64) -> Result<Option<SavedProduct>, Error> {
        let Some(product) = sqlx::query_as!(
            ProductRow,
            r#"SELECT name, slug, description, status AS "status: ProductStatus", category_id,
                      seo_title, seo_description, version
               FROM products WHERE id = $1"#,
            id
        )
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let options = options_of(conn, id).await?;
        let variants = saved_variants(conn, &[id]).await?;
        Ok(Some(SavedProduct {
            product,
            options,
            variants,
        }))
    }

    async fn options_of(conn: &mut PgConnection, id: i64) -> Result<Vec<OptionDraft>, Error> {
        Ok(sqlx::query_as!(
            OptionDraft,
            r#"SELECT name, option_values AS "values" FROM product_options
               WHERE product_id = $1 ORDER BY position"#,
            id
        )
        .fetch_all(&mut *conn)
        .await?)
    }

    /// The product's last change by staff that bumped its version (not its pictures,
    /// which are saved apart), from the audit log.
    async fn last_change(conn: &mut PgConnection, id: i64) -> Result<Option<LastChange>, Error> {
        crate::admin::audit::last_change(
            conn,
            crate::admin::audit::SubjectKind::Product,
            &id.to_string(),
            &[
                Action::ProductCreate,
                Action::ProductEdit,
                Action::ProductStatus,
                Action::ProductCategory,
            ],
        )
        .await
    }

    /// A variant's saved fields, as the audit log records them.
    struct VariantFields<'a> {
        sku: &'a str,
        values: &'a [Option<String>],
        price: Decimal,
        compare_at: Option<Decimal>,
        weight_grams: i32,
        track_stock: bool,
    }

    impl VariantFields<'_> {
        fn json(&self) -> Value {
            json!({
                "sku": self.sku,
                "options": self.values.iter().flatten().collect::<Vec<_>>(),
                // At the column's scale, so that a price read back compares equal.
                "price": format!("{:.2}", self.price),
                "compare_at": self.compare_at.map(|c| format!("{c:.2}")),
                "weight_grams": self.weight_grams,
                "track_stock": self.track_stock,
            })
        }
    }

    fn values3(values: &[String]) -> [Option<String>; 3] {
        std::array::from_fn(|i| values.get(i).cloned())
    }

    /// Saves `draft` as a new product (`id` `None`) or over product `id`, whose editor
    /// was opened at `version`: refused ([`CatalogError::Stale`]) when it has a newer
    /// one, or when the form does not account for each of its variants. A slug or SKU
    /// another product has is an error by its field; a variant with units on hand is
    /// not removed. The product's fields, options and variants change in one
    /// transaction with one audit entry of what changed; a save that changes nothing
    /// writes nothing (and keeps the version, so nobody else's editor goes stale).
    pub async fn save(
        pool: &PgPool,
        staff: &Staff,
        id: Option<i64>,
        version: i32,
        draft: &ProductDraft,
    ) -> Result<Saved, Error> {
        let (tx, saved) = save_uncommitted(pool, staff, id, version, draft).await?;
        tx.commit().await?;
        Ok(saved)
    }

    /// [`save`], with its transaction left open for the caller to add to, then commit
    /// (or drop: a dry run).
    pub(crate) async fn save_uncommitted(
        pool: &PgPool,
        staff: &Staff,
        id: Option<i64>,
        version: i32,
        draft: &ProductDraft,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, Saved), Error> {
        staff.require(Permission::Catalog)?;
        let mut tx = pool.begin().await?;
        match write(&mut tx, staff, id, version, draft).await {
            Ok(saved) => Ok((tx, saved)),
            Err(Error::Database(e)) if violated(&e) == Some("variants_sku_key") => {
                drop(tx);
                Err(sku_taken(pool, id, draft).await)
            }
            Err(e) => Err(e),
        }
    }

    /// Product `id` as its editor's form would send it unchanged, for an import to
    /// put its rows over; `None` when it is gone.
    pub(crate) async fn current(
        conn: &mut PgConnection,
        id: i64,
        currency: Currency,
    ) -> Result<Option<crate::catalog::transfer::Current>, Error> {
        let Some(SavedProduct {
            product,
            options,
            variants,
        }) = saved(conn, id).await?
        else {
            return Ok(None);
        };
        Ok(Some(crate::catalog::transfer::Current {
            id: Some(id),
            version: product.version,
            on_hand: variants
                .iter()
                .map(|v| (v.sku.clone(), v.on_hand))
                .collect(),
            form: ProductForm {
                name: product.name,
                slug: product.slug,
                description: product.description,
                status: product.status.as_str().to_owned(),
                category: product.category_id.to_string(),
                seo_title: product.seo_title.unwrap_or_default(),
                seo_description: product.seo_description.unwrap_or_default(),
                options: options
                    .into_iter()
                    .map(|o| OptionForm {
                        name: o.name,
                        values: o.values.join(", "),
                    })
                    .collect(),
                variants: variants
                    .into_iter()
                    .map(|v| {
                        let (price, compare_at) = v.typed_prices(currency);
                        let mut form = VariantForm {
                            id: v.id.to_string(),
                            option1: v.option1.unwrap_or_default(),
                            option2: v.option2.unwrap_or_default(),
                            option3: v.option3.unwrap_or_default(),
                            sku: v.sku,
                            price,
                            compare_at,
                            weight: v.weight_grams.to_string(),
                            ..VariantForm::default()
                        };
                        form.set_tracked(v.track_stock);
                        form
                    })
                    .collect(),
                confirm_removal: String::new(),
            },
        }))
    }

    /// Which of the draft's SKUs another product has, each by its row.
    async fn sku_taken(pool: &PgPool, id: Option<i64>, draft: &ProductDraft) -> Error {
        let skus: Vec<String> = draft
            .variants
            .iter()
            .map(|v| v.sku.as_str().to_owned())
            .collect();
        let taken = match sqlx::query!(
            "SELECT v.sku, p.name FROM variants v JOIN products p ON p.id = v.product_id
             WHERE v.sku = ANY ($1) AND p.id IS DISTINCT FROM $2",
            &skus,
            id
        )
        .fetch_all(pool)
        .await
        {
            Ok(rows) => rows,
            Err(e) => return e.into(),
        };
        let mut errors = FieldErrors::default();
        for variant in &draft.variants {
            if let Some(other) = taken.iter().find(|t| t.sku == variant.sku.as_str()) {
                errors.add(
                    &format!("variants[{}][sku]", variant.row),
                    format!(
                        "{} is the SKU of a variant of {}. Choose another.",
                        other.sku, other.name
                    ),
                );
            }
        }
        if errors.is_empty() {
            // Taken and freed again in between: say so rather than name no field.
            errors.add(
                "options",
                "A SKU was taken by another product as you saved. Save again.",
            );
        }
        Error::Fields(errors)
    }

    /// What a product's save changes, field by field (before, after).
    #[derive(Default)]
    struct Changes {
        before: Map<String, Value>,
        after: Map<String, Value>,
    }

    async fn write(
        tx: &mut PgConnection,
        staff: &Staff,
        id: Option<i64>,
        version: i32,
        draft: &ProductDraft,
    ) -> Result<Saved, Error> {
        let Some(id) = id else {
            return create(tx, staff, draft).await;
        };
        // The stock of the variants to remove first, then the product: the order a
        // checkout takes them in (inventory, then the product's in-stock flag), so the
        // two never wait on each other in a cycle.
        let stock = sqlx::query!(
            "SELECT v.sku, i.on_hand FROM inventory i JOIN variants v ON v.id = i.variant_id
             WHERE v.product_id = $1 AND v.id = ANY ($2)
             ORDER BY i.variant_id FOR NO KEY UPDATE OF i",
            id,
            &draft.removed
        )
        .fetch_all(&mut *tx)
        .await?;
        let old = sqlx::query!(
            r#"SELECT name, slug, description, status AS "status: ProductStatus", category_id,
                      seo_title, seo_description, version
               FROM products WHERE id = $1 FOR NO KEY UPDATE"#,
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        let old_variants = sqlx::query!(
            "SELECT id, sku, option1, option2, option3, price, compare_at_price, weight_grams,
                    track_stock, position
             FROM variants WHERE product_id = $1 ORDER BY id FOR NO KEY UPDATE",
            id
        )
        .fetch_all(&mut *tx)
        .await?;
        // Every saved variant kept or removed by name: a form that leaves one out (or
        // names another's) was opened before someone else changed the product.
        let known: HashSet<i64> = old_variants.iter().map(|v| v.id).collect();
        let named: HashSet<i64> = draft
            .variants
            .iter()
            .filter_map(|v| v.id)
            .chain(draft.removed.iter().copied())
            .collect();
        if old.version != version || known != named {
            return Err(CatalogError::Stale(last_change(tx, id).await?).into());
        }
        if let Some(held) = stock.iter().find(|s| s.on_hand > 0) {
            return Err(CatalogError::StockOnHand {
                sku: held.sku.clone(),
                units: held.on_hand,
            }
            .into());
        }

        let (before, after) = audit::changed([
            ("name", json!(old.name), json!(draft.name)),
            ("slug", json!(old.slug), json!(draft.slug.as_str())),
            (
                "description",
                json!(old.description),
                json!(draft.description),
            ),
            ("status", json!(old.status), json!(draft.status)),
            ("category_id", json!(old.category_id), json!(draft.category)),
            ("seo_title", json!(old.seo_title), json!(draft.seo_title)),
            (
                "seo_description",
                json!(old.seo_description),
                json!(draft.seo_description),
            ),
        ]);
        let mut changes = Changes { before, after };
        write_options(tx, id, draft, &mut changes).await?;
        let old_variants: Vec<OldVariant> = old_variants
            .into_iter()
            .map(|v| OldVariant {
                id: v.id,
                sku: v.sku,
                values: [v.option1, v.option2, v.option3],
                price: v.price,
                compare_at: v.compare_at_price,
                weight_grams: v.weight_grams,
                track_stock: v.track_stock,
                position: v.position,
            })
            .collect();
        may_change_tracking(staff, draft, &old_variants)?;
        let variants_changed = write_variants(tx, id, draft, &old_variants, &mut changes).await?;
        if changes.after.is_empty() && !variants_changed {
            return Ok(Saved { id, version });
        }
        let version = sqlx::query_scalar!(
            "UPDATE products SET category_id = $2, slug = $3, name = $4, description = $5,
                    status = $6, seo_title = $7, seo_description = $8,
                    version = version + 1, updated_at = now()
             WHERE id = $1 RETURNING version",
            id,
            draft.category,
            draft.slug.as_str(),
            draft.name,
            draft.description,
            draft.status as ProductStatus,
            draft.seo_title,
            draft.seo_description,
        )
        .fetch_one(&mut *tx)
        .await
        .on_constraint("products_slug_key", slug_taken)
        .on_constraint("products_category_id_fkey", category_gone)?;
        record(
            tx,
            staff,
            Action::ProductEdit,
            id,
            Some(changes.before),
            changes.after,
        )
        .await?;
        Ok(Saved { id, version })
    }

    async fn create(
        tx: &mut PgConnection,
        staff: &Staff,
        draft: &ProductDraft,
    ) -> Result<Saved, Error> {
        let id = sqlx::query_scalar!(
            "INSERT INTO products (category_id, slug, name, description, status, seo_title, seo_description)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            draft.category,
            draft.slug.as_str(),
            draft.name,
            draft.description,
            draft.status as ProductStatus,
            draft.seo_title,
            draft.seo_description,
        )
        .fetch_one(&mut *tx)
        .await
        .on_constraint("products_slug_key", slug_taken)
        .on_constraint("products_category_id_fkey", category_gone)?;
        let mut changes = Changes::default();
        for (field, value) in [
            ("name", json!(draft.name)),
            ("slug", json!(draft.slug.as_str())),
            ("status", json!(draft.status)),
            ("category_id", json!(draft.category)),
        ] {
            changes.after.insert(field.to_owned(), value);
        }
        may_change_tracking(staff, draft, &[])?;
        write_options(tx, id, draft, &mut changes).await?;
        write_variants(tx, id, draft, &[], &mut changes).await?;
        record(tx, staff, Action::ProductCreate, id, None, changes.after).await?;
        Ok(Saved { id, version: 1 })
    }

    async fn record(
        tx: &mut PgConnection,
        staff: &Staff,
        action: Action,
        id: i64,
        before: Option<Map<String, Value>>,
        after: Map<String, Value>,
    ) -> Result<(), Error> {
        let subject_id = id.to_string();
        audit::record(
            tx,
            staff,
            action,
            Subject {
                kind: SubjectKind::Product,
                id: &subject_id,
            },
            before.map(Value::Object),
            Some(Value::Object(after)),
        )
        .await
    }

    /// Options are replaced whole (a handful of rows), when they changed.
    async fn write_options(
        tx: &mut PgConnection,
        id: i64,
        draft: &ProductDraft,
        changes: &mut Changes,
    ) -> Result<(), Error> {
        let old = options_of(tx, id).await?;
        if old == draft.options {
            return Ok(());
        }
        sqlx::query!("DELETE FROM product_options WHERE product_id = $1", id)
            .execute(&mut *tx)
            .await?;
        for (n, option) in draft.options.iter().enumerate() {
            sqlx::query!(
                "INSERT INTO product_options (product_id, position, name, option_values)
                 VALUES ($1, $2, $3, $4)",
                id,
                n as i16 + 1,
                option.name,
                &option.values,
            )
            .execute(&mut *tx)
            .await?;
        }
        if !old.is_empty() {
            changes.before.insert("options".to_owned(), json!(old));
        }
        changes
            .after
            .insert("options".to_owned(), json!(draft.options));
        Ok(())
    }

    fn slug_taken() -> Error {
        Error::field("slug", "Another product has this slug. Choose another.")
    }

    fn category_gone() -> Error {
        Error::field(
            "category",
            "That category no longer exists. Choose another.",
        )
    }

    fn same_values() -> Error {
        Error::field(
            "options",
            "Two variants would have the same option values. Change one of them, or remove it.",
        )
    }

    /// A variant as it was before the save.
    struct OldVariant {
        id: i64,
        sku: String,
        values: [Option<String>; 3],
        price: Decimal,
        compare_at: Option<Decimal>,
        weight_grams: i32,
        track_stock: bool,
        position: i32,
    }

    impl OldVariant {
        fn json(&self) -> Value {
            VariantFields {
                sku: &self.sku,
                values: &self.values,
                price: self.price,
                compare_at: self.compare_at,
                weight_grams: self.weight_grams,
                track_stock: self.track_stock,
            }
            .json()
        }
    }

    /// A save that starts or stops counting a variant's stock (a new variant is counted
    /// unless told otherwise) needs the inventory permission as well: not counting it
    /// puts it on sale whatever is on hand, a stock decision. Refused beside the first
    /// such row.
    fn may_change_tracking(
        staff: &Staff,
        draft: &ProductDraft,
        old: &[OldVariant],
    ) -> Result<(), Error> {
        if staff.may(Permission::Inventory) {
            return Ok(());
        }
        let changed = draft.variants.iter().find(|v| {
            match v.id.and_then(|id| old.iter().find(|o| o.id == id)) {
                Some(o) => o.track_stock != v.track_stock,
                None => !v.track_stock,
            }
        });
        match changed {
            None => Ok(()),
            Some(v) => Err(Error::field(
                &format!("variants[{}][untracked]", v.row),
                "Whether stock is tracked is a stock decision: it needs the inventory permission. Leave it as it was, or ask someone who has that permission.",
            )),
        }
    }

    /// Removes, updates and creates the product's variants as the draft says, each kind
    /// in one statement (the unique SKU and values are checked at each statement's
    /// end, so two variants may swap them); records what changed by SKU. Gives whether
    /// anything did.
    async fn write_variants(
        tx: &mut PgConnection,
        id: i64,
        draft: &ProductDraft,
        old: &[OldVariant],
        changes: &mut Changes,
    ) -> Result<bool, Error> {
        let mut was = Map::new();
        let mut now = Map::new();
        if !draft.removed.is_empty() {
            sqlx::query!(
                "DELETE FROM variants WHERE product_id = $1 AND id = ANY ($2)",
                id,
                &draft.removed
            )
            .execute(&mut *tx)
            .await?;
            for v in old.iter().filter(|v| draft.removed.contains(&v.id)) {
                was.insert(v.sku.clone(), v.json());
            }
        }
        let mut changed = Columns::default();
        let mut created = Columns::default();
        for (position, variant) in draft.variants.iter().enumerate() {
            let values = values3(&variant.values);
            let price = variant.price.amount();
            let compare_at = variant.compare_at.map(|c| c.amount());
            let position = position as i32;
            let new_json = VariantFields {
                sku: variant.sku.as_str(),
                values: &values,
                price,
                compare_at,
                weight_grams: variant.weight_grams,
                track_stock: variant.track_stock,
            }
            .json();
            match variant.id.and_then(|vid| old.iter().find(|o| o.id == vid)) {
                Some(o) => {
                    let old_json = o.json();
                    if old_json == new_json && o.position == position {
                        continue;
                    }
                    if old_json != new_json {
                        was.insert(o.sku.clone(), old_json);
                        now.insert(variant.sku.as_str().to_owned(), new_json);
                    }
                    changed.push(o.id, variant, values, position);
                }
                None => {
                    now.insert(variant.sku.as_str().to_owned(), new_json);
                    created.push(0, variant, values, position);
                }
            }
        }
        if !changed.id.is_empty() {
            sqlx::query!(
                "UPDATE variants v
                 SET sku = u.sku, option1 = u.o1, option2 = u.o2, option3 = u.o3, price = u.price,
                     compare_at_price = u.compare_at, weight_grams = u.weight,
                     track_stock = u.tracked, position = u.position
                 FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                             $7::numeric[], $8::numeric[], $9::int[], $10::bool[], $11::int[])
                      AS u(id, sku, o1, o2, o3, price, compare_at, weight, tracked, position)
                 WHERE v.id = u.id AND v.product_id = $1",
                id,
                &changed.id,
                &changed.sku,
                &changed.o1 as &[Option<String>],
                &changed.o2 as &[Option<String>],
                &changed.o3 as &[Option<String>],
                &changed.price,
                &changed.compare_at as &[Option<Decimal>],
                &changed.weight,
                &changed.tracked,
                &changed.position,
            )
            .execute(&mut *tx)
            .await
            .on_constraint(
                "variants_product_id_option1_option2_option3_key",
                same_values,
            )?;
        }
        if !created.sku.is_empty() {
            sqlx::query!(
                "WITH v AS (
                     INSERT INTO variants (product_id, sku, option1, option2, option3, price,
                                           compare_at_price, weight_grams, track_stock,
                                           position)
                     SELECT $1, sku, o1, o2, o3, price, compare_at, weight, tracked, position
                     FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[],
                                 $6::numeric[], $7::numeric[], $8::int[], $9::bool[],
                                 $10::int[])
                          AS u(sku, o1, o2, o3, price, compare_at, weight, tracked, position)
                     RETURNING id)
                 INSERT INTO inventory (variant_id, on_hand) SELECT id, 0 FROM v",
                id,
                &created.sku,
                &created.o1 as &[Option<String>],
                &created.o2 as &[Option<String>],
                &created.o3 as &[Option<String>],
                &created.price,
                &created.compare_at as &[Option<Decimal>],
                &created.weight,
                &created.tracked,
                &created.position,
            )
            .execute(&mut *tx)
            .await
            .on_constraint(
                "variants_product_id_option1_option2_option3_key",
                same_values,
            )?;
        }
        let any = !draft.removed.is_empty() || !changed.id.is_empty() || !created.sku.is_empty();
        if !was.is_empty() {
            changes
                .before
                .insert("variants".to_owned(), Value::Object(was));
        }
        if !now.is_empty() {
            changes
                .after
                .insert("variants".to_owned(), Value::Object(now));
        }
        Ok(any)
    }

    /// Variants as columns, for one `UNNEST` statement.
    #[derive(Default)]
    struct Columns {
        id: Vec<i64>,
        sku: Vec<String>,
        o1: Vec<Option<String>>,
        o2: Vec<Option<String>>,
        o3: Vec<Option<String>>,
        price: Vec<Decimal>,
        compare_at: Vec<Option<Decimal>>,
        weight: Vec<i32>,
        tracked: Vec<bool>,
        position: Vec<i32>,
    }

    impl Columns {
        fn push(
            &mut self,
            id: i64,
            v: &VariantDraft,
            [o1, o2, o3]: [Option<String>; 3],
            position: i32,
        ) {
            self.id.push(id);
            self.sku.push(v.sku.as_str().to_owned());
            self.o1.push(o1);
            self.o2.push(o2);
            self.o3.push(o3);
            self.price.push(v.price.amount());
            self.compare_at.push(v.compare_at.map(|c| c.amount()));
            self.weight.push(v.weight_grams);
            self.tracked.push(v.track_stock);
            self.position.push(position);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(name: &str, values: &[&str]) -> OptionDraft {
        OptionDraft {
            name: name.to_owned(),
            values: values.iter().map(|v| (*v).to_owned()).collect(),
        }
    }

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn options_make_every_combination_in_order() {
        let options = [
            option("Size", &["S", "M"]),
            option("Colour", &["Red", "Blue", "Green"]),
        ];
        assert_eq!(
            combinations(&options),
            vec![
                v(&["S", "Red"]),
                v(&["S", "Blue"]),
                v(&["S", "Green"]),
                v(&["M", "Red"]),
                v(&["M", "Blue"]),
                v(&["M", "Green"]),
            ]
        );
        assert_eq!(combination_count(&options), 6);
        assert_eq!(
            combinations(&[]),
            vec![Vec::<String>::new()],
            "no options: one variant"
        );
        assert_eq!(
            combinations(&[option("Size", &[])]),
            Vec::<Vec<String>>::new()
        );
    }

    #[test]
    fn the_matrix_offers_missing_combinations_and_keeps_variants_that_no_longer_fit() {
        // Saved: S/Red, M/Red and an old XL/Red; the options now list S, M, L and Red, Blue.
        let options = [
            option("Size", &["S", "M", "L"]),
            option("Colour", &["Red", "Blue"]),
        ];
        let saved = vec![
            (v(&["M", "Red"]), "m-red"),
            (v(&["XL", "Red"]), "xl-red"),
            (v(&["S", "Red"]), "s-red"),
        ];
        let rows = matrix(&options, saved);
        let shown: Vec<(Vec<String>, Option<&str>, bool)> = rows
            .iter()
            .map(|r| (r.values.clone(), r.variant, r.fits))
            .collect();
        assert_eq!(
            shown,
            vec![
                (v(&["S", "Red"]), Some("s-red"), true),
                (v(&["S", "Blue"]), None, true),
                (v(&["M", "Red"]), Some("m-red"), true),
                (v(&["M", "Blue"]), None, true),
                (v(&["L", "Red"]), None, true),
                (v(&["L", "Blue"]), None, true),
                (v(&["XL", "Red"]), Some("xl-red"), false),
            ]
        );
    }

    fn form() -> ProductForm {
        ProductForm {
            name: "Linen Shirt".to_owned(),
            status: "draft".to_owned(),
            category: "3".to_owned(),
            options: vec![
                OptionForm {
                    name: "Size".to_owned(),
                    values: "S, M".to_owned(),
                },
                OptionForm::default(),
                OptionForm::default(),
            ],
            variants: vec![
                VariantForm {
                    id: "10".to_owned(),
                    option1: "S".to_owned(),
                    sku: "LIN-S".to_owned(),
                    price: "1,234.5".to_owned(),
                    ..VariantForm::default()
                },
                VariantForm {
                    option1: "M".to_owned(),
                    ..VariantForm::default()
                },
            ],
            ..ProductForm::default()
        }
    }

    fn errors_of(form: &ProductForm) -> Vec<(String, String)> {
        match ProductDraft::parse(form, Currency::EUR) {
            Ok(_) => Vec::new(),
            Err(e) => e.0.into_iter().map(|f| (f.field, f.message)).collect(),
        }
    }

    #[test]
    fn a_form_parses_into_a_draft_with_the_slug_from_the_name_and_offered_rows_left_out() {
        let draft = ProductDraft::parse(&form(), Currency::EUR).expect("valid");
        assert_eq!(draft.slug.as_str(), "linen-shirt");
        assert_eq!(draft.options, vec![option("Size", &["S", "M"])]);
        assert_eq!(
            draft.variants.len(),
            1,
            "the blank M row is offered, not created"
        );
        assert_eq!(draft.variants[0].id, Some(10));
        assert_eq!(
            draft.variants[0].price,
            Money::parse("1234.50", Currency::EUR).expect("amount")
        );
        assert_eq!(draft.variants[0].values, v(&["S"]));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = form();
        bad.name = " ".to_owned();
        bad.slug = "Not A Slug".to_owned();
        bad.status = "live".to_owned();
        bad.category = "".to_owned();
        bad.variants[0].price = "12.345".to_owned();
        bad.variants[0].compare_at = "10".to_owned();
        bad.variants[0].weight = "-1".to_owned();
        bad.variants[1].sku = "bad sku!".to_owned();
        bad.variants[1].price = "3".to_owned();
        let fields: Vec<String> = errors_of(&bad).into_iter().map(|(f, _)| f).collect();
        for field in [
            "name",
            "slug",
            "status",
            "category",
            "variants[0][price]",
            "variants[0][weight]",
            "variants[1][sku]",
        ] {
            assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
        }
        // The compare-at price is checked against a price that parsed only.
        let mut cheap = form();
        cheap.variants[0].compare_at = "1000".to_owned();
        assert_eq!(
            errors_of(&cheap)
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>(),
            vec!["variants[0][compare_at]".to_owned()]
        );
    }

    #[test]
    fn duplicate_values_skus_and_option_names_are_refused() {
        let mut twice = form();
        twice.options[0].values = "S, M, s".to_owned();
        assert_eq!(
            errors_of(&twice),
            vec![(
                "options[0][values]".to_owned(),
                "s is listed twice.".to_owned()
            )]
        );

        let mut names = form();
        names.options[1] = OptionForm {
            name: "size".to_owned(),
            values: "A".to_owned(),
        };
        assert_eq!(errors_of(&names)[0].0, "options[1][name]");

        let mut skus = form();
        skus.variants[1].sku = "lin-s".to_owned();
        skus.variants[1].price = "5".to_owned();
        assert_eq!(
            errors_of(&skus),
            vec![(
                "variants[1][sku]".to_owned(),
                "Two variants can't share a SKU.".to_owned()
            )]
        );
    }

    #[test]
    fn taking_a_value_out_removes_its_variants_only_once_confirmed() {
        let mut fewer = form();
        fewer.options[0].values = "M".to_owned();
        let errors = errors_of(&fewer);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].0, "options");
        assert!(errors[0].1.contains("1 variant (LIN-S)"), "{}", errors[0].1);
        fewer.confirm_removal = "on".to_owned();
        let draft = ProductDraft::parse(&fewer, Currency::EUR).expect("confirmed");
        assert_eq!(draft.removed, vec![10]);
        assert!(draft.variants.is_empty());
    }

    #[test]
    fn a_ticked_removal_is_confirmed_too_and_a_row_names_a_variant_once() {
        let mut ticked = form();
        ticked.variants[0].remove = "on".to_owned();
        assert_eq!(errors_of(&ticked)[0].0, "options");
        ticked.confirm_removal = "on".to_owned();
        assert_eq!(
            ProductDraft::parse(&ticked, Currency::EUR)
                .expect("confirmed")
                .removed,
            vec![10]
        );

        let mut twice = form();
        twice.variants[1].id = "10".to_owned();
        twice.variants[1].sku = "LIN-M".to_owned();
        twice.variants[1].price = "5".to_owned();
        assert_eq!(errors_of(&twice)[0].0, "variants[1][sku]");

        let mut nul = form();
        nul.name = "Linen\0Shirt".to_owned();
        nul.options[0].name = "Si:ze".to_owned();
        let fields: Vec<String> = errors_of(&nul).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["name", "options[0][name]"]);

        let mut dear = form();
        dear.variants[0].price = "1000000.01".to_owned();
        assert_eq!(errors_of(&dear)[0].0, "variants[0][price]");

        let mut rows = form();
        rows.variants = vec![VariantForm::default(); 2 * MAX_VARIANTS + 1];
        assert_eq!(errors_of(&rows)[0].0, "options");
    }

    #[test]
    fn a_new_option_gives_saved_variants_its_first_value() {
        let mut more = form();
        more.options[1] = OptionForm {
            name: "Fit".to_owned(),
            values: "Regular, Slim".to_owned(),
        };
        let draft = ProductDraft::parse(&more, Currency::EUR).expect("valid");
        assert_eq!(draft.variants[0].values, v(&["S", "Regular"]));
        // A cleared option row drops that option from every variant.
        let mut none = form();
        none.options[0] = OptionForm::default();
        none.variants.truncate(1);
        let draft = ProductDraft::parse(&none, Currency::EUR).expect("valid");
        assert_eq!(draft.options, Vec::new());
        assert_eq!(draft.variants[0].values, Vec::<String>::new());
    }

    #[test]
    fn an_active_product_needs_a_variant_and_options_cannot_explode() {
        let mut active = form();
        active.status = "active".to_owned();
        active.variants.clear();
        assert_eq!(errors_of(&active)[0].0, "status");
        // A variant given with a mistake: the mistake is the one error.
        let mut mistyped = form();
        mistyped.status = "active".to_owned();
        mistyped.variants.truncate(1);
        mistyped.variants[0].price = "12.345".to_owned();
        let fields: Vec<String> = errors_of(&mistyped).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["variants[0][price]"]);

        let mut huge = form();
        let many: Vec<String> = (0..20).map(|n| format!("V{n}")).collect();
        huge.options[1] = OptionForm {
            name: "A".to_owned(),
            values: many.join(","),
        };
        huge.options[2] = OptionForm {
            name: "B".to_owned(),
            values: many.join(","),
        };
        assert!(errors_of(&huge)
            .iter()
            .any(|(f, m)| f == "options" && m.contains("800 combinations")));
    }
}

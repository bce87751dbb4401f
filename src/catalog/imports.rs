//! Catalog imports as jobs: staff upload a CSV file ([`transfer`](super::transfer) says
//! what it holds), the worker checks it (a dry run: each product saved in a
//! transaction that is then rolled back, so the check finds exactly what applying
//! would, and writes nothing), staff read what it would do and its problems by line
//! and column, and the worker applies it, each product in its own transaction. A
//! product with a problem is left out whole; the rest go in. Progress is kept in the
//! job's row, so the page shows it after a reload; applying the same file again
//! changes nothing.
//!
//! Export streams the whole catalog in pages of products ([`export_page`]), so its
//! memory stays the same whatever the catalog's size.

use serde::{Deserialize, Serialize};

crate::text_enum! {
    /// Where an import is.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ImportState {
        /// Waiting for, or in, its dry run.
        Checking = "checking",
        /// Checked: waiting for staff to apply it.
        Checked = "checked",
        Applying = "applying",
        Applied = "applied",
        /// It stopped (see its failure).
        Failed = "failed",
    }
}

impl ImportState {
    pub fn label(self) -> &'static str {
        match self {
            ImportState::Checking => "Checking",
            ImportState::Checked => "Checked",
            ImportState::Applying => "Applying",
            ImportState::Applied => "Applied",
            ImportState::Failed => "Failed",
        }
    }

    /// Whether the worker still has it.
    pub fn running(self) -> bool {
        matches!(self, ImportState::Checking | ImportState::Applying)
    }
}

/// Something wrong in a file, where it is: the line a row starts on (1 is the header)
/// and the column's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub line: u64,
    pub column: Option<String>,
    pub message: String,
}

/// The largest file an import takes (about 150,000 rows of a typical catalog).
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// At most this many problems are kept with an import (all are counted).
pub const KEPT_PROBLEMS: usize = 500;

/// An import as its page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    pub id: i64,
    pub file_name: String,
    pub file_bytes: i32,
    pub state: ImportState,
    pub uploaded_by: String,
    pub applied_by: Option<String>,
    /// `YYYY-MM-DD HH:MM` UTC.
    pub created_at: String,
    pub finished_at: Option<String>,
    pub rows_total: i32,
    pub rows_done: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub skipped: i32,
    pub stock_ignored: i32,
    pub problem_count: i32,
    /// The first [`KEPT_PROBLEMS`], by line (empty in lists).
    pub problems: Vec<Problem>,
    /// False when nothing of the file can be applied (its header, a row not read).
    pub applicable: bool,
    pub failure: Option<String>,
}

impl Import {
    /// Whether staff may apply it now: checked, readable, and with something to do.
    pub fn can_apply(&self) -> bool {
        self.state == ImportState::Checked && self.applicable && self.created + self.updated > 0
    }
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::{Permission, Staff};
    use crate::catalog::edit::{self, ProductDraft, Saved};
    use crate::catalog::transfer::{
        self, Current, ExportProduct, ExportVariant, Group, Row, Sheet, Target,
    };
    use crate::inventory::{Adjustment, MovementReason};
    use crate::money::{Currency, Money};
    use crate::Error;
    use sqlx::PgPool;
    use std::collections::HashMap;
    use std::time::{Duration, Instant};

    /// Takes `file` (named `file_name`) for an import: the worker checks it next.
    pub async fn upload(
        pool: &PgPool,
        staff: &Staff,
        file_name: &str,
        file: &[u8],
    ) -> Result<i64, Error> {
        staff.require(Permission::Catalog)?;
        if file.is_empty() {
            return Err(Error::field(
                "file",
                "Choose a CSV file: this one is empty.",
            ));
        }
        if file.len() > MAX_FILE_BYTES {
            return Err(Error::field(
                "file",
                format!(
                    "A file can be up to {} MB: split it in two.",
                    MAX_FILE_BYTES / (1024 * 1024)
                ),
            ));
        }
        let name: String = file_name
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let name = match name.trim() {
            "" => "catalog.csv",
            name => name,
        };
        Ok(sqlx::query_scalar!(
            "INSERT INTO catalog_imports (uploaded_by, file_name, file_bytes, body)
             VALUES ($1, $2, $3, $4) RETURNING id",
            staff.id(),
            name,
            file.len() as i32,
            file,
        )
        .fetch_one(pool)
        .await?)
    }

    /// Asks the worker to apply checked import `id`, as `staff`.
    pub async fn apply(pool: &PgPool, staff: &Staff, id: i64) -> Result<(), Error> {
        staff.require(Permission::Catalog)?;
        let taken = sqlx::query!(
            "UPDATE catalog_imports
             SET state = 'applying', applied_by = $2, rows_done = 0, attempts = 0,
                 claimed_until = NULL, created = 0, updated = 0, unchanged = 0, skipped = 0,
                 stock_ignored = 0, problem_count = 0, problems = '[]'
             WHERE id = $1 AND state = 'checked' AND applicable
               AND created + updated > 0",
            id,
            staff.id(),
        )
        .execute(pool)
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(());
        }
        let import = get(pool, id).await?;
        Err(edit::CatalogError::ImportNotReady(import.state).into())
    }

    /// Import `id`, with its first problems.
    pub async fn get(pool: &PgPool, id: i64) -> Result<Import, Error> {
        let mut imports = list(pool, Some(id), 1).await?;
        imports.pop().ok_or(Error::NotFound)
    }

    /// The latest imports, newest first.
    pub async fn recent(pool: &PgPool) -> Result<Vec<Import>, Error> {
        list(pool, None, 20).await
    }

    async fn list(pool: &PgPool, id: Option<i64>, limit: i64) -> Result<Vec<Import>, Error> {
        let rows = sqlx::query!(
            r#"SELECT i.id, i.file_name, i.file_bytes, i.state AS "state: ImportState",
                      u.email AS uploaded_by, a.email AS "applied_by?",
                      to_char(i.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS "created_at!",
                      to_char(i.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') AS finished_at,
                      i.rows_total, i.rows_done, i.created, i.updated, i.unchanged, i.skipped,
                      i.stock_ignored, i.problem_count, i.applicable, i.failure,
                      CASE WHEN $1::bigint IS NULL THEN '[]'::jsonb ELSE i.problems END AS "problems!"
               FROM catalog_imports i
               JOIN users u ON u.id = i.uploaded_by
               LEFT JOIN users a ON a.id = i.applied_by
               WHERE $1::bigint IS NULL OR i.id = $1
               ORDER BY i.created_at DESC, i.id DESC LIMIT $2"#,
            id,
            limit,
        )
        .fetch_all(pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(Import {
                    id: r.id,
                    file_name: r.file_name,
                    file_bytes: r.file_bytes,
                    state: r.state,
                    uploaded_by: r.uploaded_by,
                    applied_by: r.applied_by,
                    created_at: r.created_at,
                    finished_at: r.finished_at,
                    rows_total: r.rows_total,
                    rows_done: r.rows_done,
                    created: r.created,
                    updated: r.updated,
                    unchanged: r.unchanged,
                    skipped: r.skipped,
                    stock_ignored: r.stock_ignored,
                    problem_count: r.problem_count,
                    problems: serde_json::from_value(r.problems)
                        .map_err(|e| Error::Internal(format!("an import's problems: {e}")))?,
                    applicable: r.applicable,
                    failure: r.failure,
                })
            })
            .collect()
    }

    /// How long a worker holds a job without saying it is still at it.
    const LEASE_SECONDS: f64 = 120.0;
    /// How often a running job's progress is written.
    const PROGRESS_EVERY: Duration = Duration::from_millis(500);
    /// A job taken up this many times without finishing fails.
    const MAX_ATTEMPTS: i32 = 3;

    /// Runs the next waiting import (its dry run, or applying it), if there is one;
    /// `changed` is called after each product applied. Gives whether there was one.
    pub async fn run_next(
        pool: &PgPool,
        currency: Currency,
        changed: &(dyn Fn() + Sync),
    ) -> Result<bool, Error> {
        let Some(job) = sqlx::query!(
            r#"UPDATE catalog_imports
               SET claimed_until = now() + make_interval(secs => $1), attempts = attempts + 1
               WHERE id = (SELECT id FROM catalog_imports
                           WHERE state IN ('checking', 'applying')
                             AND (claimed_until IS NULL OR claimed_until < now())
                           ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
               RETURNING id, state AS "state: ImportState", uploaded_by, applied_by, body, attempts"#,
            LEASE_SECONDS,
        )
        .fetch_optional(pool)
        .await?
        else {
            return Ok(false);
        };
        let apply = job.state == ImportState::Applying;
        let fail = |why: String| async move {
            tracing::warn!(import = job.id, why, "an import failed");
            sqlx::query!(
                "UPDATE catalog_imports SET state = 'failed', failure = $2, body = NULL,
                        claimed_until = NULL, finished_at = now()
                 WHERE id = $1",
                job.id,
                why,
            )
            .execute(pool)
            .await
            .map(|_| true)
            .map_err(Error::from)
        };
        if job.attempts > MAX_ATTEMPTS {
            return fail("It stopped several times before finishing (the server restarted?). Upload the file again: applying it twice changes nothing twice.".to_owned()).await;
        }
        let acting = if apply {
            job.applied_by
        } else {
            Some(job.uploaded_by)
        };
        let account = match acting {
            Some(id) => crate::accounts::store::account(pool, id).await?,
            None => None,
        };
        let staff = account
            .filter(|a| !a.deactivated)
            .and_then(|a| Staff::of(a.user, &a.staff_permissions))
            .filter(|s| s.may(Permission::Catalog));
        let Some(staff) = staff else {
            return fail("Whoever started it can no longer change the catalog.".to_owned()).await;
        };
        let body = job.body.unwrap_or_default();
        let outcome = run(pool, &staff, job.id, &body, apply, currency, changed).await?;
        let problems = serde_json::to_value(&outcome.problems)
            .map_err(|e| Error::Internal(format!("an import's problems: {e}")))?;
        let state = if apply {
            ImportState::Applied
        } else {
            ImportState::Checked
        };
        sqlx::query!(
            "UPDATE catalog_imports
             SET state = $2, rows_total = $3, rows_done = $3, created = $4, updated = $5,
                 unchanged = $6, skipped = $7, stock_ignored = $8, problem_count = $9,
                 problems = $10, applicable = $11, claimed_until = NULL,
                 body = CASE WHEN $2 = 'applied' THEN NULL ELSE body END,
                 finished_at = CASE WHEN $2 = 'applied' THEN now() END
             WHERE id = $1",
            job.id,
            state as ImportState,
            outcome.rows as i32,
            outcome.created,
            outcome.updated,
            outcome.unchanged,
            outcome.skipped,
            outcome.stock_ignored,
            outcome.problem_count,
            problems,
            outcome.applicable,
        )
        .execute(pool)
        .await?;
        tracing::info!(
            import = job.id,
            apply,
            created = outcome.created,
            updated = outcome.updated,
            problems = outcome.problem_count,
            "import done"
        );
        Ok(true)
    }

    /// What a dry run found, or applying did.
    #[derive(Debug, Default)]
    struct Outcome {
        rows: usize,
        created: i32,
        updated: i32,
        unchanged: i32,
        skipped: i32,
        stock_ignored: i32,
        problem_count: i32,
        problems: Vec<Problem>,
        applicable: bool,
    }

    impl Outcome {
        fn add(&mut self, mut problems: Vec<Problem>) {
            self.problem_count += problems.len() as i32;
            let room = KEPT_PROBLEMS.saturating_sub(self.problems.len());
            problems.truncate(room);
            self.problems.extend(problems);
        }
    }

    /// Reads `body` and saves each of its products as `staff` (committed when `apply`,
    /// else rolled back), writing progress to import `id` as it goes.
    async fn run(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        body: &[u8],
        apply: bool,
        currency: Currency,
        changed: &(dyn Fn() + Sync),
    ) -> Result<Outcome, Error> {
        let sheet = Sheet::read(body);
        let mut outcome = Outcome {
            rows: sheet.rows.len(),
            applicable: sheet.problems.is_empty(),
            ..Outcome::default()
        };
        outcome.add(sheet.problems.clone());
        if !outcome.applicable {
            return Ok(outcome);
        }
        progress(pool, id, 0, sheet.rows.len()).await?;
        let skus: Vec<String> = sheet.rows.iter().filter_map(|r| sheet.sku(r)).collect();
        let saved_skus: HashMap<String, i64> = sqlx::query!(
            "SELECT sku, product_id FROM variants WHERE sku = ANY ($1)",
            &skus
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.sku, r.product_id))
        .collect();
        let handles: Vec<String> = sheet
            .rows
            .iter()
            .filter_map(|r| sheet.cell(r, transfer::Column::Handle))
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect();
        let saved_slugs: HashMap<String, i64> = sqlx::query!(
            "SELECT slug, id FROM products WHERE slug = ANY ($1)",
            &handles
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| (r.slug, r.id))
        .collect();
        let categories: HashMap<String, i64> = sqlx::query!("SELECT slug, id FROM categories")
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(|r| (r.slug, r.id))
            .collect();
        let (groups, problems) = transfer::group(&sheet, &saved_skus, &saved_slugs);
        outcome.add(problems);
        let mut done = 0;
        let mut written = Instant::now();
        for group in &groups {
            let rows: Vec<&Row> = group.rows.iter().map(|&i| &sheet.rows[i]).collect();
            let kept = if group.bad {
                None
            } else {
                product(
                    pool,
                    staff,
                    &sheet,
                    group,
                    &rows,
                    &categories,
                    apply,
                    currency,
                    &mut outcome,
                )
                .await?
            };
            match kept {
                None => outcome.skipped += 1,
                Some((saved, was)) => {
                    match was {
                        None => outcome.created += 1,
                        Some(version) if version != saved.version => outcome.updated += 1,
                        Some(_) => outcome.unchanged += 1,
                    }
                    if apply && was != Some(saved.version) {
                        changed();
                    }
                }
            }
            done += rows.len();
            if written.elapsed() >= PROGRESS_EVERY {
                progress(pool, id, done, sheet.rows.len()).await?;
                written = Instant::now();
            }
        }
        outcome.problems.sort_by_key(|p| p.line);
        Ok(outcome)
    }

    /// Writes a job's progress and renews its hold on it.
    async fn progress(pool: &PgPool, id: i64, done: usize, total: usize) -> Result<(), Error> {
        sqlx::query!(
            "UPDATE catalog_imports
             SET rows_done = $2, rows_total = $3, claimed_until = now() + make_interval(secs => $4)
             WHERE id = $1",
            id,
            done as i32,
            total as i32,
            LEASE_SECONDS,
        )
        .execute(pool)
        .await?;
        Ok(())
    }

    /// One product of the file: put over what is saved, held to the editor's rules and
    /// saved by its save (rolled back unless `apply`). Gives what was saved and the
    /// version it was before (`None`: created); `None` when it has a problem, which
    /// goes into `outcome`.
    #[allow(clippy::too_many_arguments)]
    async fn product(
        pool: &PgPool,
        staff: &Staff,
        sheet: &Sheet,
        group: &Group,
        rows: &[&Row],
        categories: &HashMap<String, i64>,
        apply: bool,
        currency: Currency,
        outcome: &mut Outcome,
    ) -> Result<Option<(Saved, Option<i32>)>, Error> {
        let first = rows.first().map_or(0, |r| r.line);
        let current = match &group.target {
            Target::New(_) => Current::default(),
            Target::Product(id) => {
                let mut conn = pool.acquire().await?;
                match edit::current(&mut conn, *id, currency).await? {
                    Some(current) => current,
                    None => {
                        outcome.add(vec![Problem {
                            line: first,
                            column: None,
                            message: "This product was deleted while the file was read. Upload the file again.".to_owned(),
                        }]);
                        return Ok(None);
                    }
                }
            }
        };
        let (id, version) = (current.id, current.version);
        let mut problems = Vec::new();
        let Some(overlaid) = transfer::overlay(sheet, rows, current, categories, &mut problems)
        else {
            outcome.add(problems);
            return Ok(None);
        };
        if !overlaid.new_stock.is_empty() && !staff.may(Permission::Inventory) {
            outcome.add(vec![Problem {
                line: first,
                column: Some(transfer::Column::Stock.as_str().to_owned()),
                message: "Setting new variants' stock needs the inventory permission: leave the stock column empty, or ask someone who has it to apply the file.".to_owned(),
            }]);
            return Ok(None);
        }
        let draft = match ProductDraft::parse(&overlaid.form, currency) {
            Ok(draft) => draft,
            Err(errors) => {
                outcome.add(transfer::locate(errors, first, &overlaid.lines));
                return Ok(None);
            }
        };
        let (mut tx, saved) =
            match edit::save_uncommitted(pool, staff, id, version.max(0), &draft).await {
                Ok(done) => done,
                Err(error) => {
                    outcome.add(refused(error, first, &overlaid.lines)?);
                    return Ok(None);
                }
            };
        if !overlaid.new_stock.is_empty() {
            let skus: Vec<String> = overlaid.new_stock.iter().map(|(s, _)| s.clone()).collect();
            let ids: HashMap<String, i64> = sqlx::query!(
                "SELECT sku, id FROM variants WHERE product_id = $1 AND sku = ANY ($2)",
                saved.id,
                &skus
            )
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|r| (r.sku, r.id))
            .collect();
            for (sku, units) in &overlaid.new_stock {
                let Some(&variant_id) = ids.get(sku) else {
                    continue;
                };
                crate::inventory::store::adjust_in(
                    &mut tx,
                    staff,
                    &Adjustment {
                        variant_id,
                        delta: *units,
                        reason: MovementReason::Initial,
                        note: Some("Imported".to_owned()),
                    },
                )
                .await?;
            }
        }
        outcome.stock_ignored += overlaid.stock_ignored as i32;
        if apply {
            tx.commit().await?;
        }
        Ok(Some((saved, id.map(|_| version))))
    }

    /// A save's refusal as the file's problems; errors that are not about the file
    /// (the database is down) stop the job.
    fn refused(error: Error, first: u64, lines: &[Option<u64>]) -> Result<Vec<Problem>, Error> {
        match error {
            Error::Fields(errors) => Ok(transfer::locate(errors, first, lines)),
            Error::Rule(_) | Error::NotPermitted(_) => Ok(vec![Problem {
                line: first,
                column: None,
                message: error.to_string(),
            }]),
            other => Err(other),
        }
    }

    /// How many products one page of an export reads.
    pub const EXPORT_PAGE: i64 = 500;

    /// The products after id `after` (a page of them) as CSV rows, and where the next
    /// page starts (`None`: that was the last).
    pub async fn export_page(
        pool: &PgPool,
        currency: Currency,
        after: i64,
    ) -> Result<(Vec<u8>, Option<i64>), Error> {
        let failed = |e: csv::Error| Error::Internal(format!("writing the export: {e}"));
        let products = sqlx::query!(
            r#"SELECT p.id, p.slug, p.name, p.status, c.slug AS category, p.description,
                      p.seo_title, p.seo_description
               FROM products p JOIN categories c ON c.id = p.category_id
               WHERE p.id > $1 ORDER BY p.id LIMIT $2"#,
            after,
            EXPORT_PAGE,
        )
        .fetch_all(pool)
        .await?;
        let Some(last) = products.last().map(|p| p.id) else {
            return Ok((Vec::new(), None));
        };
        let ids: Vec<i64> = products.iter().map(|p| p.id).collect();
        let mut options: HashMap<i64, Vec<String>> = HashMap::new();
        for o in sqlx::query!(
            "SELECT product_id, name FROM product_options WHERE product_id = ANY ($1)
             ORDER BY product_id, position",
            &ids
        )
        .fetch_all(pool)
        .await?
        {
            options.entry(o.product_id).or_default().push(o.name);
        }
        let mut variants: HashMap<i64, Vec<ExportVariant>> = HashMap::new();
        for v in sqlx::query!(
            r#"SELECT v.product_id, v.sku, v.option1, v.option2, v.option3, v.price,
                      v.compare_at_price, v.weight_grams, coalesce(i.on_hand, 0) AS "on_hand!"
               FROM variants v LEFT JOIN inventory i ON i.variant_id = v.id
               WHERE v.product_id = ANY ($1) ORDER BY v.product_id, v.position, v.id"#,
            &ids
        )
        .fetch_all(pool)
        .await?
        {
            variants
                .entry(v.product_id)
                .or_default()
                .push(ExportVariant {
                    values: [
                        v.option1.unwrap_or_default(),
                        v.option2.unwrap_or_default(),
                        v.option3.unwrap_or_default(),
                    ],
                    sku: v.sku,
                    price: Money::new(v.price, currency).typed(),
                    compare_at: Money::typed_or_empty(v.compare_at_price, currency),
                    weight_grams: v.weight_grams,
                    on_hand: v.on_hand,
                });
        }
        let mut out = csv::Writer::from_writer(Vec::new());
        for p in products {
            let product = ExportProduct {
                options: options.remove(&p.id).unwrap_or_default(),
                variants: variants.remove(&p.id).unwrap_or_default(),
                handle: p.slug,
                name: p.name,
                status: p.status,
                category: p.category,
                description: p.description,
                seo_title: p.seo_title.unwrap_or_default(),
                seo_description: p.seo_description.unwrap_or_default(),
            };
            transfer::write_product(&mut out, &product).map_err(failed)?;
        }
        let bytes = out
            .into_inner()
            .map_err(|e| failed(e.into_error().into()))?;
        Ok((bytes, (ids.len() as i64 == EXPORT_PAGE).then_some(last)))
    }

    /// The start of an export: a BOM (so that spreadsheets read the file as UTF-8) and
    /// the header row.
    pub fn export_header() -> Result<Vec<u8>, Error> {
        let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
        transfer::write_header(&mut out)
            .map_err(|e| Error::Internal(format!("writing the export: {e}")))?;
        out.into_inner()
            .map_err(|e| Error::Internal(format!("writing the export: {}", e.error())))
    }
}

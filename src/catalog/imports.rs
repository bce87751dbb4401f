//! Catalog imports as jobs: staff upload a CSV file ([`transfer`](super::transfer) says
//! what it holds), the worker checks it (a dry run: each product saved in a
//! transaction that is then rolled back, so the check finds exactly what applying
//! would, and writes nothing), staff read what it would do and its problems by line
//! and column, and the worker applies it, each product in its own transaction. A
//! product with a problem is left out whole; the rest go in. Progress is kept in the
//! job's row, so the page shows it after a reload; applying the same file again
//! changes nothing.
//!
//! The dry run acts as whoever uploaded the file and applying as whoever applies it:
//! the two find the same unless their permissions differ (setting new variants' stock
//! needs the inventory permission) or the catalog changed in between; the page shows
//! what applying did.

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
    use crate::catalog::transfer::{self, Current, Group, Row, Sheet};
    use crate::db::constraint::violated;
    use crate::inventory::{Adjustment, MovementReason};
    use crate::money::Currency;
    use crate::Error;
    use sqlx::PgPool;
    use std::collections::HashMap;
    use std::time::{Duration, Instant};

    /// How many of one person's files may wait for their check at once.
    const MAX_WAITING: i64 = 3;
    /// A checked import not applied within this many days is dropped (with its file).
    const KEEP_CHECKED_DAYS: i32 = 7;

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
        let waiting = sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM catalog_imports
               WHERE uploaded_by = $1 AND state = 'checking'"#,
            staff.id()
        )
        .fetch_one(pool)
        .await?;
        if waiting >= MAX_WAITING {
            return Err(Error::field(
                "file",
                format!("{waiting} of your files are waiting for their check: upload this one when they are done."),
            ));
        }
        let name: String = file_name
            .chars()
            // Control characters, and those that turn text around (a name that shows
            // as another).
            .filter(|c| !c.is_control() && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
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
        let import = get(pool, id).await?;
        if !import.can_apply() {
            return Err(edit::CatalogError::ImportNotReady(import.state).into());
        }
        // The same rule, held at the moment of the change (a second click, or another
        // person's, finds it applying already).
        let taken = sqlx::query!(
            "UPDATE catalog_imports
             SET state = 'applying', applied_by = $2, rows_done = 0, attempts = 0,
                 claimed_until = NULL, failure = NULL, created = 0, updated = 0,
                 unchanged = 0, skipped = 0, stock_ignored = 0, problem_count = 0,
                 problems = '[]'
             WHERE id = $1 AND state = 'checked'",
            id,
            staff.id(),
        )
        .execute(pool)
        .await?
        .rows_affected();
        if taken == 1 {
            return Ok(());
        }
        let now = get(pool, id).await?;
        Err(edit::CatalogError::ImportNotReady(now.state).into())
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
    /// After an attempt stopped on an error (the database, most often), the job waits
    /// this long before the next.
    const RETRY_SECONDS: f64 = 10.0;
    /// How often a running job's progress is written.
    const PROGRESS_EVERY: Duration = Duration::from_millis(500);
    /// A job taken up this many times without finishing fails.
    pub const MAX_ATTEMPTS: i32 = 3;

    /// A worker's hold on a job: the job, and which attempt this is. Every write of the
    /// job's progress and outcome names both, so a worker whose hold lapsed (and was
    /// taken over) writes nothing and stops.
    #[derive(Debug, Clone, Copy)]
    struct Claim {
        id: i64,
        attempt: i32,
    }

    /// Why a run stopped before its end.
    #[derive(Debug)]
    enum Stopped {
        /// The hold was lost: another worker has the job now.
        Lost,
        /// Whoever it acts for may no longer change the catalog (what it applied
        /// already stays: each product went in whole).
        Revoked,
    }

    /// Runs the next waiting import (its dry run, or applying it), if there is one;
    /// `changed` is called after each product an apply changed. Gives whether there was
    /// one. Also drops checked imports nobody applied in [`KEEP_CHECKED_DAYS`].
    pub async fn run_next(
        pool: &PgPool,
        currency: Currency,
        changed: &(dyn Fn() + Sync),
    ) -> Result<bool, Error> {
        sqlx::query!(
            "UPDATE catalog_imports
             SET state = 'failed', body = NULL, finished_at = now(),
                 failure = 'Not applied within ' || $1::int || ' days: upload the file again.'
             WHERE state = 'checked' AND created_at < now() - make_interval(days => $1)",
            KEEP_CHECKED_DAYS,
        )
        .execute(pool)
        .await?;
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
        let claim = Claim {
            id: job.id,
            attempt: job.attempts,
        };
        let apply = job.state == ImportState::Applying;
        if job.attempts > MAX_ATTEMPTS {
            let why =
                sqlx::query_scalar!("SELECT failure FROM catalog_imports WHERE id = $1", job.id)
                    .fetch_one(pool)
                    .await?
                    .unwrap_or_else(|| {
                        "It stopped several times before finishing (the server restarted?)"
                            .to_owned()
                    });
            fail(
                pool,
                claim,
                &format!(
                    "{why} Upload the file again: what it changed already is not changed twice."
                ),
            )
            .await?;
            return Ok(true);
        }
        let acting = if apply {
            job.applied_by
        } else {
            Some(job.uploaded_by)
        };
        let staff = match acting {
            Some(id) => Staff::acting(pool, id).await?,
            None => None,
        }
        .filter(|s| s.may(Permission::Catalog));
        let Some(staff) = staff else {
            fail(
                pool,
                claim,
                "Whoever started it can no longer change the catalog.",
            )
            .await?;
            return Ok(true);
        };
        let body = job.body.unwrap_or_default();
        let outcome = match run(pool, &staff, claim, body, apply, currency, changed).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(Stopped::Lost)) => {
                tracing::warn!(
                    import = job.id,
                    "an import was taken over by another worker"
                );
                return Ok(true);
            }
            Ok(Err(Stopped::Revoked)) => {
                fail(pool, claim, "It stopped part-way: whoever started it can no longer change the catalog. The products it saved before that are saved whole.").await?;
                return Ok(true);
            }
            Err(error) => {
                // Tried again after a pause; the page says why meanwhile.
                tracing::warn!(import = job.id, %error, "an import stopped; it is tried again");
                sqlx::query!(
                    "UPDATE catalog_imports
                     SET claimed_until = now() + make_interval(secs => $3),
                         failure = 'The last attempt stopped (the database was unavailable?); it is tried again.'
                     WHERE id = $1 AND attempts = $2",
                    claim.id,
                    claim.attempt,
                    RETRY_SECONDS,
                )
                .execute(pool)
                .await?;
                return Ok(true);
            }
        };
        let problems = serde_json::to_value(&outcome.problems)
            .map_err(|e| Error::Internal(format!("an import's problems: {e}")))?;
        let (from, to) = if apply {
            (ImportState::Applying, ImportState::Applied)
        } else {
            (ImportState::Checking, ImportState::Checked)
        };
        sqlx::query!(
            "UPDATE catalog_imports
             SET state = $4, rows_total = $5, rows_done = $5, created = $6, updated = $7,
                 unchanged = $8, skipped = $9, stock_ignored = $10, problem_count = $11,
                 problems = $12, applicable = $13, claimed_until = NULL, failure = NULL,
                 body = CASE WHEN $4 = 'applied' THEN NULL ELSE body END,
                 finished_at = CASE WHEN $4 = 'applied' THEN now() END
             WHERE id = $1 AND attempts = $2 AND state = $3",
            claim.id,
            claim.attempt,
            from as ImportState,
            to as ImportState,
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

    /// Ends a job as failed, saying `why`, unless another worker holds it now.
    async fn fail(pool: &PgPool, claim: Claim, why: &str) -> Result<(), Error> {
        tracing::warn!(import = claim.id, why, "an import failed");
        sqlx::query!(
            "UPDATE catalog_imports SET state = 'failed', failure = $3, body = NULL,
                    claimed_until = NULL, finished_at = now()
             WHERE id = $1 AND attempts = $2",
            claim.id,
            claim.attempt,
            why,
        )
        .execute(pool)
        .await?;
        Ok(())
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
        /// The problems with the lowest lines (at most [`KEPT_PROBLEMS`] once done).
        problems: Vec<Problem>,
        applicable: bool,
    }

    impl Outcome {
        fn add(&mut self, problems: Vec<Problem>) {
            self.problem_count = self.problem_count.saturating_add(problems.len() as i32);
            self.problems.extend(problems);
            if self.problems.len() > 2 * KEPT_PROBLEMS {
                self.keep_first();
            }
        }

        /// Keeps the [`KEPT_PROBLEMS`] first problems by line.
        fn keep_first(&mut self) {
            self.problems.sort_by_key(|p| p.line);
            self.problems.truncate(KEPT_PROBLEMS);
        }
    }

    /// Reads `body` and saves each of its products as `staff` (committed when `apply`,
    /// else rolled back), writing progress as it goes (and checking, each time, that
    /// `staff` may still change the catalog).
    async fn run(
        pool: &PgPool,
        staff: &Staff,
        claim: Claim,
        body: Vec<u8>,
        apply: bool,
        currency: Currency,
        changed: &(dyn Fn() + Sync),
    ) -> Result<Result<Outcome, Stopped>, Error> {
        // Reading a large file takes a moment of a core: not on the async threads.
        let sheet = tokio::task::spawn_blocking(move || Sheet::read(&body))
            .await
            .map_err(|e| Error::Internal(format!("reading an import: {e}")))?;
        let mut outcome = Outcome {
            rows: sheet.rows.len(),
            applicable: sheet.problems.is_empty(),
            ..Outcome::default()
        };
        outcome.add(sheet.problems.clone());
        if !outcome.applicable {
            outcome.keep_first();
            return Ok(Ok(outcome));
        }
        if !progress(pool, claim, 0, sheet.rows.len()).await? {
            return Ok(Err(Stopped::Lost));
        }
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
        let sheet = std::sync::Arc::new(sheet);
        let (groups, problems) = {
            let sheet = sheet.clone();
            tokio::task::spawn_blocking(move || transfer::group(&sheet, &saved_skus, &saved_slugs))
                .await
                .map_err(|e| Error::Internal(format!("reading an import: {e}")))?
        };
        outcome.add(problems);
        let mut done = 0;
        let mut written = Instant::now();
        for group in &groups {
            let rows: Vec<&Row> = group.rows.iter().map(|&i| &sheet.rows[i]).collect();
            let kept = if group.bad {
                None
            } else {
                let to = Saving {
                    staff,
                    apply,
                    currency,
                };
                product(pool, &to, &sheet, group, &rows, &categories, &mut outcome).await?
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
                if !progress(pool, claim, done, sheet.rows.len()).await? {
                    return Ok(Err(Stopped::Lost));
                }
                let still = Staff::acting(pool, staff.id()).await?;
                if !still.is_some_and(|s| s.may(Permission::Catalog)) {
                    return Ok(Err(Stopped::Revoked));
                }
                written = Instant::now();
            }
        }
        outcome.keep_first();
        Ok(Ok(outcome))
    }

    /// Writes a job's progress and renews the hold on it; false when the hold was lost.
    async fn progress(
        pool: &PgPool,
        claim: Claim,
        done: usize,
        total: usize,
    ) -> Result<bool, Error> {
        Ok(sqlx::query!(
            "UPDATE catalog_imports
             SET rows_done = $3, rows_total = $4, claimed_until = now() + make_interval(secs => $5)
             WHERE id = $1 AND attempts = $2",
            claim.id,
            claim.attempt,
            done as i32,
            total as i32,
            LEASE_SECONDS,
        )
        .execute(pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Who saves an import's products, how, and in which currency.
    struct Saving<'a> {
        staff: &'a Staff,
        apply: bool,
        currency: Currency,
    }

    /// One product of the file: put over what is saved, held to the editor's rules and
    /// saved by its save (rolled back unless `apply`). Gives what was saved and the
    /// version it was before (`None`: created); `None` when it has a problem, which
    /// goes into `outcome`.
    async fn product(
        pool: &PgPool,
        to: &Saving<'_>,
        sheet: &Sheet,
        group: &Group,
        rows: &[&Row],
        categories: &HashMap<String, i64>,
        outcome: &mut Outcome,
    ) -> Result<Option<(Saved, Option<i32>)>, Error> {
        let Saving {
            staff,
            apply,
            currency,
        } = *to;
        let first = rows.first().map_or(0, |r| r.line);
        let current = match &group.target {
            transfer::Target::New(_) => Current::default(),
            transfer::Target::Product(id) => {
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
                message: "Setting new variants' stock needs the inventory permission: leave the stock column empty, or have someone with that permission upload the file.".to_owned(),
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
        let (mut tx, saved) = match edit::save_uncommitted(pool, staff, id, version, &draft).await {
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
    /// (the database is down, a deadlock) stop this attempt, to be tried again.
    fn refused(error: Error, first: u64, lines: &[Option<u64>]) -> Result<Vec<Problem>, Error> {
        let at_first = |message: String| {
            Ok(vec![Problem {
                line: first,
                column: None,
                message,
            }])
        };
        match error {
            Error::Fields(errors) => Ok(transfer::locate(errors, first, lines)),
            Error::Rule(_) | Error::NotPermitted(_) => at_first(error.to_string()),
            // A rule the database holds that the editor's form does not name.
            Error::Database(e) if violated(&e).is_some() => at_first(format!(
                "The database refused this product ({}). Check its rows against the editor's rules.",
                violated(&e).unwrap_or_default()
            )),
            other => Err(other),
        }
    }
}

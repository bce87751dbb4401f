//! The catalog as a CSV file: one row per variant (a product without variants has one
//! row with no SKU), the product's own fields on its first row. Export writes it;
//! import reads it back keyed by SKU and turns each product's rows into the editor's
//! form, so a file is held to exactly the editor's rules ([`ProductDraft::parse`]) and
//! saved by the editor's save, with its audit entry and its "nothing changed, nothing
//! written".
//!
//! What an import does with a cell:
//! - A column the file leaves out is left as saved; so is an empty cell, except
//!   `compare_at_price`, where empty means none.
//! - Product columns are read from the product's first row; a later row may repeat
//!   them, never contradict them.
//! - A SKU that exists updates its variant (whatever product its `handle` names: that
//!   product's slug becomes the handle); a new SKU is added to the product its `handle`
//!   names, or to a new product with that slug.
//! - Nothing the file leaves out is removed.
//! - `stock` is used for the variants the file creates (their initial stock); a saved
//!   variant's stock changes on the Inventory page, which records why.
//!
//! [`ProductDraft::parse`]: super::edit::ProductDraft::parse

use super::edit::{OptionForm, ProductForm, VariantForm, MAX_OPTIONS, MAX_VARIANTS};
use super::imports::Problem;
use super::Sku;
use crate::error::FieldErrors;
use crate::inventory::MAX_ADJUSTMENT;
use std::collections::{HashMap, HashSet};

/// The most rows an import takes.
pub const MAX_ROWS: usize = 250_000;
/// The most cells a header may have (the file has 19 columns).
const MAX_COLUMNS: usize = 64;
/// After this many rows that cannot be read, the rest of the file is not read.
const MAX_UNREADABLE: usize = 100;
/// User text quoted in a problem's message is cut to this many characters.
const QUOTED: usize = 80;

/// `text` as a problem quotes it: at most [`QUOTED`] characters.
fn quoted(text: &str) -> String {
    if text.chars().count() <= QUOTED {
        text.to_owned()
    } else {
        let mut cut: String = text.chars().take(QUOTED).collect();
        cut.push('…');
        cut
    }
}

/// The first characters that make a spreadsheet read a cell as a formula. Export puts
/// an apostrophe before a text cell that starts with one (so that opening the file
/// runs nothing a product's name says), and import takes it off again.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell as an export writes it: see [`FORMULA_STARTS`].
pub(crate) fn defused(text: &str) -> String {
    if text.starts_with(FORMULA_STARTS) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// A cell as read: the apostrophe export put before a formula-like text taken off.
fn undefused(cell: String) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest.to_owned(),
        _ => cell,
    }
}

crate::text_enum! {
    /// The file's columns, in the order export writes them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Column {
        Handle = "handle",
        Name = "name",
        Status = "status",
        Category = "category",
        Description = "description",
        SeoTitle = "seo_title",
        SeoDescription = "seo_description",
        Option1Name = "option1_name",
        Option1Value = "option1_value",
        Option2Name = "option2_name",
        Option2Value = "option2_value",
        Option3Name = "option3_name",
        Option3Value = "option3_value",
        Sku = "sku",
        Price = "price",
        CompareAt = "compare_at_price",
        Weight = "weight_grams",
        TrackStock = "track_stock",
        Stock = "stock",
    }
}

/// The product's own columns, read from its first row.
const PRODUCT_COLUMNS: [Column; 10] = [
    Column::Handle,
    Column::Name,
    Column::Status,
    Column::Category,
    Column::Description,
    Column::SeoTitle,
    Column::SeoDescription,
    Column::Option1Name,
    Column::Option2Name,
    Column::Option3Name,
];

/// A variant's columns: a row with any of them needs a SKU.
const VARIANT_COLUMNS: [Column; 8] = [
    Column::Option1Value,
    Column::Option2Value,
    Column::Option3Value,
    Column::Price,
    Column::CompareAt,
    Column::Weight,
    Column::TrackStock,
    Column::Stock,
];

impl Column {
    fn option_name(k: usize) -> Column {
        [
            Column::Option1Name,
            Column::Option2Name,
            Column::Option3Name,
        ][k]
    }

    fn option_value(k: usize) -> Column {
        [
            Column::Option1Value,
            Column::Option2Value,
            Column::Option3Value,
        ][k]
    }
}

/// A row of the file: the line it starts on (a quoted cell may span lines) and its cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: u64,
    cells: Vec<String>,
}

/// A file as read: which column each position holds, its rows, and what could not be
/// read (when that is not empty, nothing of the file is applied).
#[derive(Debug, Default)]
pub struct Sheet {
    positions: HashMap<Column, usize>,
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
}

fn problem(line: u64, column: Option<Column>, message: impl Into<String>) -> Problem {
    Problem {
        line,
        column: column.map(|c| c.as_str().to_owned()),
        message: message.into(),
    }
}

impl Sheet {
    /// Whether the file has `column`.
    pub fn has(&self, column: Column) -> bool {
        self.positions.contains_key(&column)
    }

    /// `row`'s cell in `column`, trimmed; `None` when the file has no such column.
    pub fn cell<'r>(&self, row: &'r Row, column: Column) -> Option<&'r str> {
        self.positions
            .get(&column)
            .and_then(|&i| row.cells.get(i))
            .map(|c| c.trim())
    }

    /// `row`'s non-empty cell in `column`.
    fn given<'r>(&self, row: &'r Row, column: Column) -> Option<&'r str> {
        self.cell(row, column).filter(|c| !c.is_empty())
    }

    /// `row`'s SKU as stored (upper case), when it has one.
    pub fn sku(&self, row: &Row) -> Option<String> {
        self.given(row, Column::Sku).map(Sku::normalise)
    }

    /// Reads a file: a UTF-8 BOM, CRLF line ends and quoted cells with commas, quotes
    /// and line breaks are all fine. The first row names the columns (in any order;
    /// `sku` is required). A row that cannot be read is a problem by its line.
    pub fn read(bytes: &[u8]) -> Sheet {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let mut sheet = Sheet::default();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let mut record = csv::ByteRecord::new();
        let mut width = 0;
        let mut lines = Lines::new(bytes);
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {}
                Err(error) => {
                    let line = lines.at(error.position().map_or(0, |p| p.byte()));
                    sheet.problems.push(problem(
                        line,
                        None,
                        format!("This line could not be read ({error}). Save the file as CSV (UTF-8) and upload it again."),
                    ));
                    break;
                }
            }
            let line = lines.at(record.position().map_or(0, |p| p.byte()));
            if sheet.problems.len() >= MAX_UNREADABLE {
                sheet.problems.push(problem(
                    line,
                    None,
                    format!("The rest of the file was not read: it has more than {MAX_UNREADABLE} rows that could not be read. Is it a CSV file?"),
                ));
                break;
            }
            if width == 0 && record.len() > MAX_COLUMNS {
                sheet.problems.push(problem(
                    line,
                    None,
                    format!("The first row has {} cells: it should name the columns (up to 18). Is it a CSV file of the catalog?", record.len()),
                ));
                break;
            }
            let cells: Result<Vec<String>, _> = record
                .iter()
                .map(|c| std::str::from_utf8(c).map(|c| undefused(c.to_owned())))
                .collect();
            let Ok(cells) = cells else {
                sheet.problems.push(problem(
                    line,
                    None,
                    "This line is not UTF-8 text. Save the file as CSV (UTF-8) and upload it again.",
                ));
                continue;
            };
            if width == 0 {
                width = cells.len();
                sheet.header(line, &cells);
                if !sheet.problems.is_empty() {
                    break;
                }
                continue;
            }
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if cells.len() != width {
                sheet.problems.push(problem(
                    line,
                    None,
                    format!(
                        "This row has {} cells and the header {width}. Is a quote left open, or a cell with a comma not quoted?",
                        cells.len()
                    ),
                ));
                continue;
            }
            if sheet.rows.len() == MAX_ROWS {
                sheet.problems.push(problem(
                    line,
                    None,
                    format!("A file can have up to {MAX_ROWS} rows: split it in two."),
                ));
                break;
            }
            sheet.rows.push(Row { line, cells });
        }
        if width == 0 && sheet.problems.is_empty() {
            sheet.problems.push(problem(
                1,
                None,
                "The file is empty: export the catalog for an example of what it holds.",
            ));
        }
        sheet
    }

    fn header(&mut self, line: u64, cells: &[String]) {
        for (i, cell) in cells.iter().enumerate() {
            let name = cell.trim().to_ascii_lowercase();
            match Column::parse(&name) {
                Some(column) if self.positions.contains_key(&column) => {
                    self.problems.push(problem(
                        line,
                        Some(column),
                        format!("The column {name} is there twice."),
                    ))
                }
                Some(column) => {
                    self.positions.insert(column, i);
                }
                None => self.problems.push(Problem {
                    line,
                    column: Some(quoted(cell.trim())),
                    message: format!(
                        "There is no column \"{}\". The columns are: {}.",
                        quoted(cell.trim()),
                        Column::ALL.map(Column::as_str).join(", ")
                    ),
                }),
            }
        }
        if !self.has(Column::Sku) {
            self.problems.push(problem(
                line,
                None,
                "The file needs a sku column: rows are matched to variants by their SKU.",
            ));
        }
    }
}

/// Line numbers by byte offset, counted once through the file. (The reader's own
/// count lags a line after a CRLF: a record is said to start at the `\n` before it.)
struct Lines<'b> {
    bytes: &'b [u8],
    counted: usize,
    line: u64,
}

impl<'b> Lines<'b> {
    fn new(bytes: &'b [u8]) -> Lines<'b> {
        Lines {
            bytes,
            counted: 0,
            line: 1,
        }
    }

    /// The line of the first character at or after `offset` that ends no line.
    fn at(&mut self, offset: u64) -> u64 {
        let mut start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while start < self.bytes.len() && matches!(self.bytes[start], b'\r' | b'\n') {
            start += 1;
        }
        if start > self.counted {
            self.line += self.bytes[self.counted..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.counted = start;
        }
        self.line
    }
}

/// Which product a group of rows is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// A saved product.
    Product(i64),
    /// A new one, with this slug.
    New(String),
}

/// A product's rows, in the file's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub target: Target,
    /// Indexes into the sheet's rows.
    pub rows: Vec<usize>,
    /// A row of it has a problem found while grouping: the product is left out.
    pub bad: bool,
}

/// Puts the rows of `sheet` into products: by the product that has the row's SKU, else
/// the product its `handle` names (in this file, or saved: `saved_slugs`), else a new
/// product. `saved_skus`: each SKU of the file that a saved variant has, and its product.
pub fn group(
    sheet: &Sheet,
    saved_skus: &HashMap<String, i64>,
    saved_slugs: &HashMap<String, i64>,
) -> (Vec<Group>, Vec<Problem>) {
    let mut problems = Vec::new();
    // The rows (by index) with a problem.
    let mut bad: HashSet<usize> = HashSet::new();
    // SKUs twice in the file.
    let mut first_of: HashMap<String, u64> = HashMap::new();
    for (i, row) in sheet.rows.iter().enumerate() {
        if let Some(sku) = sheet.sku(row) {
            if let Some(first) = first_of.get(&sku) {
                problems.push(problem(
                    row.line,
                    Some(Column::Sku),
                    format!(
                        "{} is on line {first} too: a SKU is one variant.",
                        quoted(&sku)
                    ),
                ));
                bad.insert(i);
            } else {
                first_of.insert(sku, row.line);
            }
        }
    }
    // First what the saved SKUs say: a handle names the product whose variants its rows are.
    let mut handles: HashMap<String, (Target, u64)> = HashMap::new();
    let mut targets: Vec<Option<Target>> = vec![None; sheet.rows.len()];
    for (i, row) in sheet.rows.iter().enumerate() {
        let Some(&product) = sheet.sku(row).and_then(|s| saved_skus.get(&s)) else {
            continue;
        };
        let target = Target::Product(product);
        if let Some(handle) = sheet.given(row, Column::Handle) {
            match handles.get(handle) {
                Some((other, line)) if *other != target => {
                    problems.push(problem(
                        row.line,
                        Some(Column::Handle),
                        format!("This SKU is a variant of another product than the SKU on line {line}, with the same handle. A SKU stays with its product: give the rows of each product its own handle."),
                    ));
                    bad.insert(i);
                }
                Some(_) => {}
                None => {
                    handles.insert(handle.to_owned(), (target.clone(), row.line));
                }
            }
        }
        targets[i] = Some(target);
    }
    for (i, row) in sheet.rows.iter().enumerate() {
        if targets[i].is_some() {
            continue;
        }
        let sku = sheet.sku(row);
        if sku.is_none() {
            if let Some(column) = VARIANT_COLUMNS
                .into_iter()
                .find(|c| sheet.given(row, *c).is_some())
            {
                problems.push(problem(
                    row.line,
                    Some(Column::Sku),
                    format!("This row has a {} but no SKU. Give its SKU (a row without one is a product without variants).", column.as_str()),
                ));
                bad.insert(i);
            }
        }
        let Some(handle) = sheet.given(row, Column::Handle) else {
            problems.push(problem(
                row.line,
                Some(Column::Handle),
                match sku {
                    Some(sku) => format!(
                        "No variant has the SKU {}: give the handle of the product it is added to.",
                        quoted(&sku)
                    ),
                    None => "Give this row's handle or SKU.".to_owned(),
                },
            ));
            bad.insert(i);
            continue;
        };
        let target = match handles.get(handle) {
            Some((target, _)) => target.clone(),
            None => {
                let target = match saved_slugs.get(handle) {
                    Some(&id) => Target::Product(id),
                    None => Target::New(handle.to_owned()),
                };
                handles.insert(handle.to_owned(), (target.clone(), row.line));
                target
            }
        };
        targets[i] = Some(target);
    }
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<Target, usize> = HashMap::new();
    for (i, target) in targets.into_iter().enumerate() {
        let Some(target) = target else { continue };
        let is_bad = bad.contains(&i);
        let n = *index.entry(target.clone()).or_insert_with(|| {
            groups.push(Group {
                target,
                rows: Vec::new(),
                bad: false,
            });
            groups.len() - 1
        });
        groups[n].rows.push(i);
        groups[n].bad |= is_bad;
    }
    // A bad row without a product (no handle, no known SKU) is only its own problem.
    (groups, problems)
}

/// A saved product as an import starts from: the editor's form as it would be sent
/// unchanged, and each variant's stock by SKU.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Current {
    pub id: Option<i64>,
    pub version: i32,
    pub form: ProductForm,
    pub on_hand: HashMap<String, i32>,
}

/// A product's rows turned into the editor's form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlaid {
    pub form: ProductForm,
    /// The file's line of each of the form's variant rows (`None`: a saved variant
    /// the file leaves out).
    pub lines: Vec<Option<u64>>,
    /// The initial stock of variants the file creates, by SKU.
    pub new_stock: Vec<(String, i32)>,
    /// Rows giving a stock figure other than a saved variant's (left alone).
    pub stock_ignored: u32,
}

/// Puts `rows` (one product's, in the file's order) over `current` (a saved product,
/// or `Current::default()` for a new one). `categories`: each category's id by slug.
/// Problems the editor's rules would not see (an unknown category, a contradiction
/// between rows, an option renamed) go to `problems`; `None` when there were any.
pub fn overlay(
    sheet: &Sheet,
    rows: &[&Row],
    current: Current,
    categories: &HashMap<String, i64>,
    problems: &mut Vec<Problem>,
) -> Option<Overlaid> {
    let before = problems.len();
    let first = rows.first()?;
    if rows.len() > MAX_VARIANTS {
        problems.push(problem(
            first.line,
            Some(Column::Sku),
            format!(
                "A product can have up to {MAX_VARIANTS} variants; this file gives this one {} rows.",
                rows.len()
            ),
        ));
        return None;
    }
    let mut form = current.form;
    let is_new = current.id.is_none();
    if is_new && form.status.is_empty() {
        form.status = "draft".to_owned();
    }
    for column in PRODUCT_COLUMNS {
        let Some(value) = sheet.given(first, column) else {
            if is_new && column == Column::Category {
                problems.push(problem(
                    first.line,
                    Some(column),
                    "Give the new product's category (its slug, as on the Categories page).",
                ));
            }
            continue;
        };
        for row in &rows[1..] {
            if sheet.given(row, column).is_some_and(|v| v != value) {
                problems.push(problem(
                    row.line,
                    Some(column),
                    format!("This differs from line {}: a product's {} is read from its first row. Leave it empty here, or make the two the same.", first.line, column.as_str()),
                ));
            }
        }
        match column {
            Column::Handle => form.slug = value.to_owned(),
            Column::Name => form.name = value.to_owned(),
            Column::Status => form.status = value.to_ascii_lowercase(),
            Column::Category => match categories.get(value) {
                Some(id) => form.category = id.to_string(),
                None => problems.push(problem(
                    first.line,
                    Some(column),
                    format!("There is no category {}. Use a category's slug, as on the Categories page, or add it there first.", quoted(value)),
                )),
            },
            Column::Description => form.description = value.to_owned(),
            Column::SeoTitle => form.seo_title = value.to_owned(),
            Column::SeoDescription => form.seo_description = value.to_owned(),
            _ => {}
        }
    }
    // Options: named on the first row; their values are what the product has, and what
    // the rows add.
    for k in 0..MAX_OPTIONS {
        if form.options.len() <= k {
            form.options.push(OptionForm::default());
        }
        let option = &mut form.options[k];
        if let Some(name) = sheet.given(first, Column::option_name(k)) {
            if option.name.trim().is_empty() {
                option.name = name.to_owned();
            } else if option.name.trim() != name {
                problems.push(problem(
                    first.line,
                    Some(Column::option_name(k)),
                    format!("This product's option {} is {}, not {}. Rename an option in the product editor.", k + 1, option.name.trim(), quoted(name)),
                ));
            }
        }
        for row in rows {
            let Some(value) = sheet.given(row, Column::option_value(k)) else {
                continue;
            };
            if value.contains(',') {
                problems.push(problem(
                    row.line,
                    Some(Column::option_value(k)),
                    "An option's value can't contain a comma.",
                ));
            } else if option.name.trim().is_empty() {
                problems.push(problem(
                    row.line,
                    Some(Column::option_value(k)),
                    format!(
                        "Option {} has no name: give it in {} on the product's first row.",
                        k + 1,
                        Column::option_name(k).as_str()
                    ),
                ));
            } else if !option.values.split(',').any(|v| v.trim() == value) {
                if !option.values.trim().is_empty() {
                    option.values.push_str(", ");
                }
                option.values.push_str(value);
            }
        }
    }
    let mut lines: Vec<Option<u64>> = vec![None; form.variants.len()];
    let mut by_sku: HashMap<String, usize> = form
        .variants
        .iter()
        .enumerate()
        .map(|(n, v)| (Sku::normalise(&v.sku), n))
        .collect();
    let mut new_stock = Vec::new();
    let mut stock_ignored = 0;
    for row in rows {
        let Some(sku) = sheet.sku(row) else { continue };
        let stock = match sheet.given(row, Column::Stock) {
            None => None,
            Some(typed) => match typed.parse::<i32>() {
                Ok(units) if (0..=MAX_ADJUSTMENT).contains(&units) => Some(units),
                _ => {
                    problems.push(problem(
                        row.line,
                        Some(Column::Stock),
                        format!(
                            "Give the stock as a whole number of units, 0 to {MAX_ADJUSTMENT}."
                        ),
                    ));
                    None
                }
            },
        };
        let n = match by_sku.get(&sku).copied() {
            Some(n) => {
                if stock.is_some_and(|s| current.on_hand.get(&sku).is_some_and(|&h| h != s)) {
                    stock_ignored += 1;
                }
                n
            }
            None => {
                if let Some(units) = stock.filter(|s| *s > 0) {
                    new_stock.push((sku.clone(), units));
                }
                form.variants.push(VariantForm {
                    sku: sku.clone(),
                    ..VariantForm::default()
                });
                lines.push(None);
                by_sku.insert(sku.clone(), form.variants.len() - 1);
                form.variants.len() - 1
            }
        };
        lines[n] = Some(row.line);
        let variant = &mut form.variants[n];
        for (k, slot) in [
            &mut variant.option1,
            &mut variant.option2,
            &mut variant.option3,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(value) = sheet.given(row, Column::option_value(k)) {
                *slot = value.to_owned();
            }
        }
        if let Some(price) = sheet.given(row, Column::Price) {
            variant.price = price.to_owned();
        }
        if let Some(compare_at) = sheet.cell(row, Column::CompareAt) {
            variant.compare_at = compare_at.to_owned();
        }
        if let Some(weight) = sheet.given(row, Column::Weight) {
            variant.weight = weight.to_owned();
        }
        if let Some(typed) = sheet.given(row, Column::TrackStock) {
            match parse_tracked(typed) {
                Some(tracked) => {
                    variant.set_tracked(tracked);
                }
                None => problems.push(problem(
                    row.line,
                    Some(Column::TrackStock),
                    "Write yes (its stock is counted) or no (not tracked: always for sale), or leave it empty to keep it.",
                )),
            }
        }
    }
    if form.variants.len() > MAX_VARIANTS {
        problems.push(problem(
            first.line,
            Some(Column::Sku),
            format!(
                "A product can have up to {MAX_VARIANTS} variants; with this file it would have {}.",
                form.variants.len()
            ),
        ));
    }
    (problems.len() == before).then_some(Overlaid {
        form,
        lines,
        new_stock,
        stock_ignored,
    })
}

/// `track_stock` as typed: yes/no or true/false, in any case. Not 1/0, which reads
/// too easily as a number of units.
fn parse_tracked(typed: &str) -> Option<bool> {
    match typed.to_ascii_lowercase().as_str() {
        "yes" | "true" => Some(true),
        "no" | "false" => Some(false),
        _ => None,
    }
}

/// How export writes whether a variant's stock is tracked.
fn tracked_cell(tracked: bool) -> &'static str {
    if tracked {
        "yes"
    } else {
        "no"
    }
}

/// The editor's field errors for a product, each put at the line and column of the file
/// it came from (`first`: the product's first line).
pub fn locate(errors: FieldErrors, first: u64, lines: &[Option<u64>]) -> Vec<Problem> {
    errors
        .0
        .into_iter()
        .map(|e| {
            let (line, column) = where_from(&e.field, first, lines);
            problem(line, column, e.message)
        })
        .collect()
}

fn where_from(field: &str, first: u64, lines: &[Option<u64>]) -> (u64, Option<Column>) {
    let column = match field {
        "name" => Some(Column::Name),
        "slug" => Some(Column::Handle),
        "status" => Some(Column::Status),
        "category" => Some(Column::Category),
        "description" => Some(Column::Description),
        "seo_title" => Some(Column::SeoTitle),
        "seo_description" => Some(Column::SeoDescription),
        _ => None,
    };
    if column.is_some() {
        return (first, column);
    }
    // `options[1][values]`, `variants[3][price]`.
    let parts: Vec<&str> = field.split(['[', ']']).filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        ["options", k, what] => {
            let k: usize = k.parse().unwrap_or(0).min(MAX_OPTIONS - 1);
            let column = if *what == "name" {
                Column::option_name(k)
            } else {
                Column::option_value(k)
            };
            (first, Some(column))
        }
        ["variants", n, what] => {
            let line = n
                .parse::<usize>()
                .ok()
                .and_then(|n| lines.get(n).copied().flatten())
                .unwrap_or(first);
            let column = match *what {
                "price" => Column::Price,
                "compare_at" => Column::CompareAt,
                "weight" => Column::Weight,
                "untracked" => Column::TrackStock,
                _ => Column::Sku,
            };
            (line, Some(column))
        }
        _ => (first, None),
    }
}

/// Writes the header row.
pub fn write_header<W: std::io::Write>(out: &mut csv::Writer<W>) -> csv::Result<()> {
    out.write_record(Column::ALL.map(Column::as_str))
}

/// A product as export writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportProduct {
    pub handle: String,
    pub name: String,
    pub status: String,
    pub category: String,
    pub description: String,
    pub seo_title: String,
    pub seo_description: String,
    pub options: Vec<String>,
    pub variants: Vec<ExportVariant>,
}

/// A variant as export writes it; amounts as typed (`12.50`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportVariant {
    pub values: [String; 3],
    pub sku: String,
    pub price: String,
    pub compare_at: String,
    pub weight_grams: i32,
    pub track_stock: bool,
    pub on_hand: i32,
}

/// Writes a product's rows: its fields on the first, a row per variant (one row with
/// no SKU when it has none).
pub fn write_product<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    product: &ExportProduct,
) -> csv::Result<()> {
    let option = |k: usize| {
        product
            .options
            .get(k)
            .map(|o| defused(o))
            .unwrap_or_default()
    };
    let product_cells = [
        product.handle.clone(),
        defused(&product.name),
        product.status.clone(),
        product.category.clone(),
        defused(&product.description),
        defused(&product.seo_title),
        defused(&product.seo_description),
    ];
    if product.variants.is_empty() {
        let mut row: Vec<String> = product_cells.to_vec();
        row.extend([
            option(0),
            String::new(),
            option(1),
            String::new(),
            option(2),
        ]);
        row.extend(std::iter::repeat_n(String::new(), 7));
        return out.write_record(&row);
    }
    for (n, v) in product.variants.iter().enumerate() {
        let mut row: Vec<String> = if n == 0 {
            product_cells.to_vec()
        } else {
            // Later rows carry the handle only: the product's fields are on its first.
            let mut cells = vec![String::new(); 7];
            cells[0] = product.handle.clone();
            cells
        };
        for k in 0..MAX_OPTIONS {
            row.push(if n == 0 { option(k) } else { String::new() });
            row.push(defused(&v.values[k]));
        }
        row.extend([
            v.sku.clone(),
            v.price.clone(),
            v.compare_at.clone(),
            v.weight_grams.to_string(),
            tracked_cell(v.track_stock).to_owned(),
            v.on_hand.to_string(),
        ]);
        out.write_record(&row)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(text: &str) -> Sheet {
        Sheet::read(text.as_bytes())
    }

    #[test]
    fn a_bom_crlf_and_quoted_cells_with_commas_quotes_and_line_breaks_are_read() {
        let s = sheet("\u{feff}sku,description,price\r\nA-1,\"Warm, soft\r\nand \"\"light\"\"\",12.50\r\nB-2,plain,3\r\n");
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(
            s.cell(&s.rows[0], Column::Description),
            Some("Warm, soft\r\nand \"light\"")
        );
        assert_eq!(s.rows[0].line, 2);
        assert_eq!(s.rows[1].line, 4, "the quoted line break counts");
        assert_eq!(s.cell(&s.rows[1], Column::Price), Some("3"));
        assert_eq!(s.cell(&s.rows[1], Column::Name), None, "no such column");
    }

    #[test]
    fn a_wrong_header_is_named_and_nothing_is_read() {
        let s = sheet("sku,prise,Price,price\nA,1,2,3\n");
        let messages: Vec<(u64, Option<String>)> = s
            .problems
            .iter()
            .map(|p| (p.line, p.column.clone()))
            .collect();
        assert_eq!(
            messages,
            vec![(1, Some("prise".to_owned())), (1, Some("price".to_owned()))]
        );
        assert!(s.rows.is_empty());
        assert!(!sheet("name,price\nX,1\n").problems.is_empty(), "no sku");
        assert!(!sheet("").problems.is_empty(), "empty");
    }

    #[test]
    fn a_broken_quote_or_a_short_row_gets_its_line() {
        let s = sheet("sku,name,price\nA,Tee,1\nB,\"Open quote,2\nC,Cap,3\n");
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
        assert_eq!(s.problems[0].line, 3);
        let s = sheet("sku,name,price\nA,Tee\n\nB,Cap,3\n");
        assert_eq!(s.problems[0].line, 2);
        assert_eq!(s.rows.len(), 1, "the blank line is skipped");
        let s = Sheet::read(b"sku,name\nA,\xff\n");
        assert_eq!(s.problems[0].line, 2);
    }

    fn saved(pairs: &[(&str, i64)]) -> HashMap<String, i64> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn rows_are_grouped_by_the_product_of_their_sku_then_by_handle() {
        let s = sheet(
            "handle,sku,price\n\
             renamed,TEE-S,1\n\
             renamed,tee-xl,2\n\
             new-cap,CAP-1,3\n\
             ,TEE-M,4\n\
             ,NOPE,5\n\
             new-cap,cap-1,6\n",
        );
        let (groups, problems) = group(
            &s,
            &saved(&[("TEE-S", 7), ("TEE-M", 7)]),
            &saved(&[("tee", 7)]),
        );
        let shown: Vec<(Target, Vec<usize>, bool)> = groups
            .into_iter()
            .map(|g| (g.target, g.rows, g.bad))
            .collect();
        assert_eq!(
            shown,
            vec![
                (Target::Product(7), vec![0, 1, 3], false),
                (Target::New("new-cap".to_owned()), vec![2, 5], true),
            ]
        );
        let lines: Vec<(u64, Option<String>)> = problems
            .iter()
            .map(|p| (p.line, p.column.clone()))
            .collect();
        assert_eq!(
            lines,
            vec![(7, Some("sku".to_owned())), (6, Some("handle".to_owned()))]
        );
    }

    #[test]
    fn rows_become_the_editors_form_over_what_is_saved() {
        let s = sheet(
            "handle,name,category,option1_name,option1_value,sku,price,compare_at_price,track_stock,stock\n\
             tee,Tee,tops,Size,S,TEE-S,12.50,,No,9\n\
             tee,,,,M,TEE-M,,,yes,\n\
             tee,,,,XL,TEE-XL,14,20,,5\n",
        );
        let current = Current {
            id: Some(7),
            version: 3,
            form: ProductForm {
                name: "Old tee".to_owned(),
                slug: "tee".to_owned(),
                status: "active".to_owned(),
                category: "1".to_owned(),
                options: vec![OptionForm {
                    name: "Size".to_owned(),
                    values: "S, M".to_owned(),
                }],
                variants: vec![
                    VariantForm {
                        id: "70".to_owned(),
                        option1: "S".to_owned(),
                        sku: "TEE-S".to_owned(),
                        price: "10.00".to_owned(),
                        compare_at: "11.00".to_owned(),
                        weight: "200".to_owned(),
                        ..VariantForm::default()
                    },
                    VariantForm {
                        id: "71".to_owned(),
                        option1: "M".to_owned(),
                        sku: "TEE-M".to_owned(),
                        price: "10.00".to_owned(),
                        untracked: "on".to_owned(),
                        ..VariantForm::default()
                    },
                ],
                ..ProductForm::default()
            },
            on_hand: [("TEE-S".to_owned(), 4)].into_iter().collect(),
        };
        let rows: Vec<&Row> = s.rows.iter().collect();
        let mut problems = Vec::new();
        let out = overlay(&s, &rows, current, &saved(&[("tops", 2)]), &mut problems)
            .expect("no problems");
        assert!(problems.is_empty());
        assert_eq!(out.form.name, "Tee");
        assert_eq!(out.form.category, "2");
        assert_eq!(out.form.options[0].values, "S, M, XL");
        assert_eq!(out.lines, vec![Some(2), Some(3), Some(4)]);
        let v = &out.form.variants;
        assert_eq!(
            (
                v[0].price.as_str(),
                v[0].compare_at.as_str(),
                v[0].weight.as_str()
            ),
            ("12.50", "", "200"),
            "empty compare-at clears it; a missing weight keeps it"
        );
        assert_eq!(
            (v[2].id.as_str(), v[2].option1.as_str(), v[2].sku.as_str()),
            ("", "XL", "TEE-XL")
        );
        assert_eq!(
            (
                v[0].untracked.as_str(),
                v[1].untracked.as_str(),
                v[2].untracked.as_str()
            ),
            ("on", "", ""),
            "\"No\" stops tracking, \"yes\" starts it; a new variant is tracked"
        );
        assert_eq!(out.new_stock, vec![("TEE-XL".to_owned(), 5)]);
        assert_eq!(out.stock_ignored, 1, "TEE-S has 4, the file says 9");
    }

    #[test]
    fn contradictions_renamed_options_and_unknown_categories_are_problems() {
        let s = sheet(
            "handle,name,category,option1_name,option1_value,sku,price,stock\n\
             cap,Cap,hats,Colour,Red,CAP-R,5,-1\n\
             cap,Hat,,,\"Bl,ue\",CAP-B,5,\n",
        );
        let rows: Vec<&Row> = s.rows.iter().collect();
        let mut problems = Vec::new();
        let current = Current {
            form: ProductForm {
                options: vec![OptionForm {
                    name: "Size".to_owned(),
                    values: "One".to_owned(),
                }],
                ..ProductForm::default()
            },
            ..Current::default()
        };
        assert!(overlay(&s, &rows, current, &HashMap::new(), &mut problems).is_none());
        let found: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            found,
            vec![
                (3, "name"),
                (2, "category"),
                (2, "option1_name"),
                (3, "option1_value"),
                (2, "stock"),
            ]
        );
    }

    #[test]
    fn a_file_that_is_no_catalog_is_not_read_to_its_end() {
        let wide = ",".repeat(10_000);
        let s = sheet(&wide);
        assert_eq!(s.problems.len(), 1, "one problem, not 10,000");
        let mut short = "sku,name,price\n".to_owned();
        for _ in 0..1000 {
            short.push_str("a,b\n");
        }
        let s = sheet(&short);
        assert_eq!(s.problems.len(), MAX_UNREADABLE + 1);
        assert!(s.problems[MAX_UNREADABLE].message.contains("not read"));
        let s = sheet(&format!("sku,{}\n", "x".repeat(5000)));
        assert!(s.problems[0].message.len() < 600, "quoted text is cut");
    }

    #[test]
    fn the_editors_own_errors_land_on_the_rows_and_columns_they_came_from() {
        use crate::catalog::edit::ProductDraft;
        use crate::money::Currency;
        // Every per-field error the editor gives, from a form an import made.
        let s = sheet(
            "handle,name,category,option1_name,option1_value,sku,price,compare_at_price,weight_grams\n\
             Bad Slug,,tops,Size,S,TEE-S,1,2,3\n\
             ,,,,M,TEE-M,12.345,abc,-4\n\
             ,,,,L,bad sku!,5,,\n",
        );
        let rows: Vec<&Row> = s.rows.iter().collect();
        let mut problems = Vec::new();
        // The rows' handles differ from the first (empty): grouping keeps them together.
        let out = overlay(
            &s,
            &rows,
            Current::default(),
            &saved(&[("tops", 2)]),
            &mut problems,
        )
        .expect("no overlay problems");
        let errors = ProductDraft::parse(&out.form, Currency::EUR).expect_err("errors");
        let mut found: Vec<(u64, Option<String>)> = locate(errors, 2, &out.lines)
            .into_iter()
            .map(|p| (p.line, p.column))
            .collect();
        found.sort();
        let at = |line: u64, column: &str| (line, Some(column.to_owned()));
        assert_eq!(
            found,
            vec![
                at(2, "handle"),
                at(2, "name"),
                at(3, "compare_at_price"),
                at(3, "price"),
                at(3, "weight_grams"),
                at(4, "sku"),
            ]
        );
    }

    #[test]
    fn a_text_a_spreadsheet_would_run_goes_out_defused_and_comes_back_as_it_was() {
        let product = ExportProduct {
            handle: "tee".to_owned(),
            name: "=HYPERLINK(\"https://example.com\",\"x\")".to_owned(),
            status: "draft".to_owned(),
            category: "tops".to_owned(),
            description: "- soft\n- warm".to_owned(),
            seo_title: "@home".to_owned(),
            seo_description: "'quoted' as typed".to_owned(),
            options: Vec::new(),
            variants: Vec::new(),
        };
        let mut out = csv::Writer::from_writer(Vec::new());
        write_header(&mut out).expect("header");
        write_product(&mut out, &product).expect("rows");
        let bytes = out.into_inner().expect("flushed");
        let text = String::from_utf8(bytes.clone()).expect("text");
        assert!(text.contains("'=HYPERLINK"), "{text}");
        assert!(!text.contains(",=") && !text.contains(",\"="), "{text}");
        let s = Sheet::read(&bytes);
        let row = &s.rows[0];
        assert_eq!(s.cell(row, Column::Name), Some(product.name.as_str()));
        assert_eq!(s.cell(row, Column::Description), Some("- soft\n- warm"));
        assert_eq!(s.cell(row, Column::SeoTitle), Some("@home"));
        assert_eq!(
            s.cell(row, Column::SeoDescription),
            Some("'quoted' as typed")
        );
    }

    #[test]
    fn the_editors_errors_are_put_at_their_line_and_column() {
        let mut errors = FieldErrors::default();
        errors.add("slug", "taken");
        errors.add("variants[2][price]", "bad");
        errors.add("variants[1][sku]", "saved one");
        errors.add("options[1][values]", "twice");
        errors.add("options", "too many");
        let found: Vec<(u64, Option<String>)> = locate(errors, 5, &[Some(5), None, Some(9)])
            .into_iter()
            .map(|p| (p.line, p.column))
            .collect();
        assert_eq!(
            found,
            vec![
                (5, Some("handle".to_owned())),
                (9, Some("price".to_owned())),
                (5, Some("sku".to_owned())),
                (5, Some("option2_value".to_owned())),
                (5, None),
            ]
        );
    }

    #[test]
    fn a_product_is_written_with_its_fields_on_the_first_row_and_read_back() {
        let product = ExportProduct {
            handle: "tee".to_owned(),
            name: "Tee, \"classic\"".to_owned(),
            status: "active".to_owned(),
            category: "tops".to_owned(),
            description: "Soft.\n\nWarm.".to_owned(),
            seo_title: String::new(),
            seo_description: String::new(),
            options: vec!["Size".to_owned()],
            variants: ["S", "M"]
                .map(|size| ExportVariant {
                    values: [size.to_owned(), String::new(), String::new()],
                    sku: format!("TEE-{size}"),
                    price: "1234.50".to_owned(),
                    compare_at: String::new(),
                    weight_grams: 200,
                    track_stock: size == "S",
                    on_hand: 3,
                })
                .to_vec(),
        };
        let mut out = csv::Writer::from_writer(Vec::new());
        write_header(&mut out).expect("header");
        write_product(&mut out, &product).expect("rows");
        let bytes = out.into_inner().expect("flushed");
        let s = Sheet::read(&bytes);
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        assert_eq!(s.rows.len(), 2);
        assert_eq!(s.cell(&s.rows[0], Column::Name), Some("Tee, \"classic\""));
        assert_eq!(
            s.cell(&s.rows[0], Column::Description),
            Some("Soft.\n\nWarm.")
        );
        assert_eq!(s.cell(&s.rows[1], Column::Name), Some(""));
        assert_eq!(s.cell(&s.rows[1], Column::Handle), Some("tee"));
        assert_eq!(s.cell(&s.rows[1], Column::Option1Value), Some("M"));
        assert_eq!(s.cell(&s.rows[1], Column::Price), Some("1234.50"));
        assert_eq!(
            (
                s.cell(&s.rows[0], Column::TrackStock),
                s.cell(&s.rows[1], Column::TrackStock)
            ),
            (Some("yes"), Some("no"))
        );
    }

    #[test]
    fn whether_stock_is_tracked_reads_as_yes_or_no() {
        for yes in ["yes", "YES", "True"] {
            assert_eq!(parse_tracked(yes), Some(true), "{yes}");
        }
        for no in ["no", "No", "false"] {
            assert_eq!(parse_tracked(no), Some(false), "{no}");
        }
        for neither in ["maybe", "0", "1", "y", "oui"] {
            assert_eq!(parse_tracked(neither), None, "{neither}");
        }
        let s =
            sheet("handle,name,category,sku,price,track_stock\ncap,Cap,tops,CAP-1,5,sometimes\n");
        let rows: Vec<&Row> = s.rows.iter().collect();
        let mut problems = Vec::new();
        let out = overlay(
            &s,
            &rows,
            Current::default(),
            &saved(&[("tops", 2)]),
            &mut problems,
        );
        assert!(out.is_none());
        assert_eq!(
            problems
                .iter()
                .map(|p| (p.line, p.column.as_deref()))
                .collect::<Vec<_>>(),
            vec![(2, Some("track_stock"))]
        );
    }
}

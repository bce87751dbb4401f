//! The category tree as staff change it: create, rename, move under another category,
//! reorder among siblings, delete (its products moved to a category staff choose).
//! Each change is one transaction with its audit entry. A move that would put a
//! category inside itself is refused by the database (`categories_no_cycle`), which
//! also takes moves one at a time so that two cannot close a cycle together.

use super::Slug;
use crate::error::FieldErrors;
use serde::{Deserialize, Serialize};

/// A category in the staff's tree, in the order the shop shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeRow {
    pub id: i64,
    /// 0 for a top-level category.
    pub depth: i32,
    pub name: String,
    pub slug: String,
    /// Products in this category itself (not its subcategories).
    pub products: i64,
    pub children: i64,
    /// Whether it is the first, or the last, among its siblings (nothing to move past).
    pub first: bool,
    pub last: bool,
}

/// One category, for its edit page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryDetail {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: String,
    pub parent: Option<i64>,
    pub products: i64,
    pub children: i64,
    /// Where it can move: every category but itself and those under it.
    pub parents: Vec<super::staff::CategoryChoice>,
    /// Where its products can go when it is deleted: every other category.
    pub others: Vec<super::staff::CategoryChoice>,
}

/// A category as staff mean it to be saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDraft {
    pub name: String,
    pub slug: Slug,
    pub description: String,
    pub parent: Option<i64>,
}

impl CategoryDraft {
    /// From the form: an empty slug is made from the name, an empty parent is the top
    /// level.
    pub fn parse(
        name: &str,
        slug: &str,
        description: &str,
        parent: &str,
    ) -> Result<CategoryDraft, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = name.trim();
        if name.is_empty() {
            errors.add("name", "Enter the category's name.");
        } else if name.chars().count() > 100 {
            errors.add("name", "A name can be up to 100 characters.");
        }
        let parsed = Slug::from_form(slug, name, 100);
        if parsed.is_none() && (!slug.trim().is_empty() || !name.is_empty()) {
            errors.add(
                "slug",
                "Use lowercase letters, digits and single hyphens (such as rain-jackets), up to 100 characters.",
            );
        }
        let description = description.replace("\r\n", "\n").trim().to_owned();
        if description.chars().count() > 2000 {
            errors.add(
                "description",
                "A description can be up to 2,000 characters.",
            );
        }
        let parent = match parent.trim() {
            "" => Some(None),
            p => p.parse::<i64>().ok().map(Some),
        };
        if parent.is_none() {
            errors.add("parent", "Choose where the category goes.");
        }
        match (parsed, parent) {
            (Some(slug), Some(parent)) if errors.is_empty() => Ok(CategoryDraft {
                name: name.to_owned(),
                slug,
                description,
                parent,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::super::edit::CatalogError;
    use super::*;
    use crate::admin::audit::{self, Action, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::db::constraint::OnConstraint;
    use crate::Error;
    use serde_json::json;
    use sqlx::{PgConnection, PgPool};

    /// The whole tree, depth first, siblings in the shop's order.
    pub async fn tree(pool: &PgPool) -> Result<Vec<TreeRow>, Error> {
        Ok(sqlx::query_as!(
            TreeRow,
            r#"WITH RECURSIVE tree AS (
                   SELECT id, parent_id, 0 AS depth, ARRAY[position, id::integer] AS sort
                   FROM categories WHERE parent_id IS NULL
                   UNION ALL
                   SELECT c.id, c.parent_id, tree.depth + 1, tree.sort || ARRAY[c.position, c.id::integer]
                   FROM categories c JOIN tree ON c.parent_id = tree.id
               ),
               ranked AS (
                   SELECT id,
                          row_number() OVER w = 1 AS first,
                          row_number() OVER w = count(*) OVER (PARTITION BY parent_id) AS last
                   FROM tree
                   WINDOW w AS (PARTITION BY parent_id ORDER BY sort)
               )
               SELECT c.id, tree.depth AS "depth!", c.name, c.slug,
                      (SELECT count(*) FROM products p WHERE p.category_id = c.id) AS "products!",
                      (SELECT count(*) FROM categories s WHERE s.parent_id = c.id) AS "children!",
                      ranked.first AS "first!", ranked.last AS "last!"
               FROM tree JOIN categories c USING (id) JOIN ranked USING (id)
               ORDER BY tree.sort"#,
        )
        .fetch_all(pool)
        .await?)
    }

    /// Category `id` with where it may move and where its products may go.
    pub async fn detail(pool: &PgPool, id: i64) -> Result<CategoryDetail, Error> {
        let row = sqlx::query!(
            r#"SELECT name, slug, description, parent_id,
                      (SELECT count(*) FROM products p WHERE p.category_id = c.id) AS "products!",
                      (SELECT count(*) FROM categories s WHERE s.parent_id = c.id) AS "children!"
               FROM categories c WHERE id = $1"#,
            id
        )
        .fetch_optional(pool)
        .await?
        .ok_or(Error::NotFound)?;
        let under = super::super::staff::subtree(pool, id).await?;
        let choices = super::super::staff::category_choices(pool).await?;
        Ok(CategoryDetail {
            id,
            name: row.name,
            slug: row.slug,
            description: row.description,
            parent: row.parent_id,
            products: row.products,
            children: row.children,
            parents: choices
                .iter()
                .filter(|c| !under.contains(&c.id))
                .cloned()
                .collect(),
            others: choices.into_iter().filter(|c| c.id != id).collect(),
        })
    }

    fn slug_taken() -> Error {
        Error::field("slug", "Another category has this slug. Choose another.")
    }

    fn parent_gone() -> Error {
        Error::field("parent", "That category no longer exists. Choose another.")
    }

    fn inside_itself() -> Error {
        Error::field(
            "parent",
            "A category can't go inside itself or one of its own subcategories. Choose another.",
        )
    }

    /// A new category, last among its siblings.
    pub async fn create(pool: &PgPool, staff: &Staff, draft: &CategoryDraft) -> Result<i64, Error> {
        staff.require(Permission::Catalog)?;
        let mut tx = pool.begin().await?;
        lock_tree(&mut tx).await?;
        let id = sqlx::query_scalar!(
            "INSERT INTO categories (parent_id, slug, name, description, position)
             VALUES ($1, $2, $3, $4, (SELECT coalesce(max(position) + 1, 0) FROM categories
                                      WHERE parent_id IS NOT DISTINCT FROM $1))
             RETURNING id",
            draft.parent,
            draft.slug.as_str(),
            draft.name,
            draft.description,
        )
        .fetch_one(&mut *tx)
        .await
        .on_constraint("categories_slug_key", slug_taken)
        .on_constraint("categories_parent_id_fkey", parent_gone)?;
        audit::record_by_id(
            &mut tx,
            staff,
            Action::CategoryCreate,
            SubjectKind::Category,
            id,
            None,
            json!({ "name": draft.name, "slug": draft.slug.as_str(), "parent_id": draft.parent }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Every change to the tree takes this lock first (the cycle trigger takes it too):
    /// changes wait for each other in one order, and positions are numbered once.
    async fn lock_tree(tx: &mut PgConnection) -> Result<(), Error> {
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('categories_tree'))")
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    /// Renames, re-describes or moves category `id` (a move puts it last among its new
    /// siblings).
    pub async fn update(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        draft: &CategoryDraft,
    ) -> Result<(), Error> {
        staff.require(Permission::Catalog)?;
        if draft.parent == Some(id) {
            return Err(inside_itself());
        }
        let mut tx = pool.begin().await?;
        lock_tree(&mut tx).await?;
        let old = sqlx::query!(
            "SELECT name, slug, description, parent_id FROM categories WHERE id = $1 FOR UPDATE",
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        sqlx::query!(
            "UPDATE categories SET slug = $2, name = $3, description = $4 WHERE id = $1",
            id,
            draft.slug.as_str(),
            draft.name,
            draft.description,
        )
        .execute(&mut *tx)
        .await
        .on_constraint("categories_slug_key", slug_taken)?;
        let moved = old.parent_id != draft.parent;
        if moved {
            // Only a move sets the parent (and so runs the cycle check).
            sqlx::query!(
                "UPDATE categories SET parent_id = $2,
                        position = (SELECT coalesce(max(position) + 1, 0) FROM categories
                                    WHERE parent_id IS NOT DISTINCT FROM $2)
                 WHERE id = $1",
                id,
                draft.parent,
            )
            .execute(&mut *tx)
            .await
            .on_constraint("categories_parent_id_fkey", parent_gone)
            .on_constraint("categories_no_cycle", inside_itself)?;
        }
        let (before, after) = audit::changed([
            ("name", json!(old.name), json!(draft.name)),
            ("slug", json!(old.slug), json!(draft.slug.as_str())),
            (
                "description",
                json!(old.description),
                json!(draft.description),
            ),
            ("parent_id", json!(old.parent_id), json!(draft.parent)),
        ]);
        if !after.is_empty() {
            let action = if moved {
                Action::CategoryMove
            } else {
                Action::CategoryEdit
            };
            audit::record_by_id(
                &mut tx,
                staff,
                action,
                SubjectKind::Category,
                id,
                Some(before.into()),
                after.into(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Moves category `id` one place among its siblings; at that end already, nothing
    /// changes.
    pub async fn shift(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        direction: super::super::Direction,
    ) -> Result<(), Error> {
        staff.require(Permission::Catalog)?;
        let mut tx = pool.begin().await?;
        lock_tree(&mut tx).await?;
        let parent = sqlx::query_scalar!("SELECT parent_id FROM categories WHERE id = $1", id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
        let mut siblings: Vec<i64> = sqlx::query_scalar!(
            "SELECT id FROM categories WHERE parent_id IS NOT DISTINCT FROM $1 ORDER BY position, id",
            parent
        )
        .fetch_all(&mut *tx)
        .await?;
        let Some((at, to)) = super::super::move_one(&mut siblings, id, direction)? else {
            return Ok(());
        };
        let positions: Vec<i32> = (0..siblings.len() as i32).collect();
        sqlx::query!(
            "UPDATE categories c SET position = u.position
             FROM UNNEST($1::bigint[], $2::int[]) AS u(id, position)
             WHERE c.id = u.id AND c.position IS DISTINCT FROM u.position",
            &siblings,
            &positions,
        )
        .execute(&mut *tx)
        .await?;
        audit::record_by_id(
            &mut tx,
            staff,
            Action::CategoryMove,
            SubjectKind::Category,
            id,
            Some(json!({ "position": at })),
            json!({ "position": to }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes category `id`, moving its products to `move_to` first (each product's
    /// version bumped, each with its audit entry). Refused while it has subcategories,
    /// or products and nowhere to move them.
    pub async fn delete(
        pool: &PgPool,
        staff: &Staff,
        id: i64,
        move_to: Option<i64>,
    ) -> Result<u64, Error> {
        staff.require(Permission::Catalog)?;
        if move_to == Some(id) {
            return Err(Error::field(
                "move_to",
                "Choose another category for its products.",
            ));
        }
        let mut tx = pool.begin().await?;
        lock_tree(&mut tx).await?;
        // Locked: a product being added to it waits, then finds it gone.
        let old = sqlx::query!(
            r#"SELECT name, slug, parent_id,
                      (SELECT count(*) FROM categories s WHERE s.parent_id = c.id) AS "children!"
               FROM categories c WHERE id = $1 FOR UPDATE"#,
            id
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        if old.children > 0 {
            return Err(CatalogError::HasSubcategories(old.children).into());
        }
        let products: Vec<String> = sqlx::query_scalar!(
            "SELECT id::text AS \"id!\" FROM products WHERE category_id = $1 ORDER BY id",
            id
        )
        .fetch_all(&mut *tx)
        .await?;
        if !products.is_empty() {
            let Some(to) = move_to else {
                return Err(CatalogError::ProductsNeedAHome(products.len() as i64).into());
            };
            sqlx::query!(
                "UPDATE products SET category_id = $2, version = version + 1, updated_at = now()
                 WHERE category_id = $1",
                id,
                to
            )
            .execute(&mut *tx)
            .await
            .on_constraint("products_category_id_fkey", || {
                Error::field("move_to", "That category no longer exists. Choose another.")
            })?;
            audit::record_each(
                &mut tx,
                staff,
                Action::ProductCategory,
                SubjectKind::Product,
                &products,
                Some(json!({ "category_id": id })),
                Some(json!({ "category_id": to })),
            )
            .await?;
        }
        sqlx::query!("DELETE FROM categories WHERE id = $1", id)
            .execute(&mut *tx)
            .await?;
        let moved = products.len() as u64;
        audit::record_by_id(
            &mut tx,
            staff,
            Action::CategoryDelete,
            SubjectKind::Category,
            id,
            Some(json!({ "name": old.name, "slug": old.slug, "parent_id": old.parent_id })),
            json!({ "products_moved": moved, "moved_to": move_to.filter(|_| moved > 0) }),
        )
        .await?;
        tx.commit().await?;
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_takes_its_slug_from_the_name_and_its_parent_from_the_choice() {
        let draft = CategoryDraft::parse(" Rain jackets ", "", "Dry.\r\nWarm.", "").expect("valid");
        assert_eq!(draft.name, "Rain jackets");
        assert_eq!(draft.slug.as_str(), "rain-jackets");
        assert_eq!(draft.description, "Dry.\nWarm.");
        assert_eq!(draft.parent, None);
        assert_eq!(
            CategoryDraft::parse("Rain", "wet", "", "12")
                .expect("valid")
                .parent,
            Some(12)
        );
    }

    #[test]
    fn bad_fields_are_named() {
        let errors = CategoryDraft::parse("", "Not A Slug", &"x".repeat(2001), "twelve")
            .expect_err("invalid");
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "slug", "description", "parent"]);
        let errors = CategoryDraft::parse("Rain", "Not A Slug", "", "").expect_err("invalid");
        assert!(errors.get("slug").is_some());
        let long = "a".repeat(101);
        assert!(
            CategoryDraft::parse("Rain", &long, "", "").is_err(),
            "the column's 100"
        );
    }
}

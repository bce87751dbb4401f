//! A broken named constraint becomes the error of the field it is about.

use mercato::db::constraint::OnConstraint;
use mercato::db::testing::TestDb;
use mercato::Error;

async fn insert_category(db: &TestDb, slug: &str) -> Result<(), Error> {
    sqlx::query("INSERT INTO categories (slug, name) VALUES ($1, 'Hats')")
        .bind(slug)
        .execute(&db.pool)
        .await
        .on_constraint("categories_slug_key", || {
            Error::field(
                "slug",
                format!("The slug {slug} is taken. Choose another one."),
            )
        })
        .on_constraint("categories_slug_check", || {
            Error::field("slug", "Use lowercase letters, digits and dashes.")
        })
        .map(|_| ())
}

#[tokio::test]
async fn a_taken_or_malformed_slug_is_an_error_beside_the_slug_field() {
    let db = TestDb::new().await.expect("a fresh test database");
    insert_category(&db, "hats").await.expect("first");

    let taken = insert_category(&db, "hats").await;
    match taken {
        Err(Error::Fields(errors)) => assert_eq!(
            errors.get("slug"),
            Some("The slug hats is taken. Choose another one.")
        ),
        other => panic!("{other:?}"),
    }
    let malformed = insert_category(&db, "Hats!").await;
    match malformed {
        Err(Error::Fields(errors)) => assert_eq!(
            errors.get("slug"),
            Some("Use lowercase letters, digits and dashes.")
        ),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn another_constraint_or_fault_passes_through_unchanged() {
    let db = TestDb::new().await.expect("a fresh test database");
    // The name check, not the slug's: not mapped.
    let empty_name = sqlx::query("INSERT INTO categories (slug, name) VALUES ('caps', '')")
        .execute(&db.pool)
        .await
        .on_constraint("categories_slug_key", || Error::field("slug", "taken"));
    match empty_name {
        Err(Error::Database(e)) => assert_eq!(
            mercato::db::constraint::violated(&e),
            Some("categories_name_check")
        ),
        other => panic!("{other:?}"),
    }
    // Not a constraint at all.
    let syntax = sqlx::query("SELEC 1")
        .execute(&db.pool)
        .await
        .on_constraint("categories_slug_key", || Error::field("slug", "taken"));
    assert!(matches!(syntax, Err(Error::Database(_))), "{syntax:?}");
}

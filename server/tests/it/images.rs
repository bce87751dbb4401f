//! Product pictures (`mercato::catalog::images`, the editor's Pictures form): the type
//! read from the bytes, empty, oversized, bomb-sized and truncated files refused with
//! a message and nothing stored; renditions made off the request path and served for a
//! year; the shop's pages offering them through `srcset` with the picture's size;
//! reorder and removal, each audited.

use crate::common::{account_signed_in, seeded_app, TestApp};
use app::error::AppError;
use mercato::accounts::Role;
use std::io::Cursor;

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::new_rgb8(width, height)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("a png");
    out
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&image::DynamicImage::new_rgb8(width, height).to_rgb8())
        .expect("a jpeg");
    out
}

/// The CRC of a PNG chunk (over its type and data).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG that says it is `width` × `height` and holds nothing more: decoding it would
/// take gigabytes.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    chunk.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&crc32(&chunk).to_be_bytes());
    out
}

async fn upload(
    app: &TestApp,
    cookie: &str,
    product: i64,
    file: &[u8],
    name: &str,
    alt: &str,
) -> reqwest::Response {
    let product = product.to_string();
    app.call_multipart(
        "/api/admin/products/images/upload",
        &[
            ("product", None, product.as_bytes()),
            ("alt", None, alt.as_bytes()),
            ("file", Some(name), file),
        ],
        Some(cookie),
    )
    .await
}

async fn field_error(res: reqwest::Response, field: &str) -> String {
    match crate::common::answered_error(res, 422).await {
        AppError::Fields(errors) => errors
            .get(field)
            .unwrap_or_else(|| panic!("no error for {field}: {errors:?}"))
            .to_owned(),
        other => panic!("a field error, not {other:?}"),
    }
}

async fn pictures(app: &TestApp, product: i64) -> Vec<(i64, String, String)> {
    sqlx::query_as(
        "SELECT id, coalesce(stored_name, url), alt FROM product_images
         WHERE product_id = $1 ORDER BY position, id",
    )
    .bind(product)
    .fetch_all(&app.pool)
    .await
    .expect("pictures")
}

/// How many files the test shop's media folder holds.
fn stored_files(app: &TestApp) -> usize {
    match std::fs::read_dir(&app.media_dir) {
        Ok(entries) => entries.count(),
        Err(_) => 0,
    }
}

#[tokio::test]
async fn a_picture_is_checked_by_its_bytes_and_served_through_its_copies() {
    let app = seeded_app().await;
    let cookie = account_signed_in(
        &app,
        "cat@example.com",
        Role::Staff,
        Some("Catalog manager"),
    )
    .await;
    let (product, slug): (i64, String) =
        sqlx::query_as("SELECT id, slug FROM products WHERE status = 'active' ORDER BY id LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .expect("a product");
    let before = pictures(&app, product).await;

    // Refused, each with its message, and nothing stored.
    let bomb = png_header(30_000, 30_000);
    let wide = png_header(9_000, 9_000);
    let cut = jpeg(300, 200);
    let fine = png(10, 10);
    let bad: [(&[u8], &str, &str, &str); 6] = [
        (b"", "empty.jpg", "file", "Choose a picture to upload."),
        (
            b"just some text",
            "notes.png",
            "file",
            "That isn't a JPEG, PNG or WebP picture (whatever its name says).",
        ),
        (
            &bomb,
            "bomb.png",
            "file",
            "That picture is 30000 × 30000 pixels",
        ),
        (
            &wide,
            "wide.png",
            "file",
            "That picture is 9000 × 9000 pixels",
        ),
        (&cut[..400], "cut.jpg", "file", "That picture can't be read"),
        (&fine, "fine.png", "alt", "Describe the picture"),
    ];
    for (bytes, name, field, message) in bad {
        let alt = if field == "alt" { " " } else { "A picture" };
        let said = field_error(
            upload(&app, &cookie, product, bytes, name, alt).await,
            field,
        )
        .await;
        assert!(said.starts_with(message), "{name}: {said}");
    }
    assert_eq!(pictures(&app, product).await, before);
    assert_eq!(stored_files(&app), 0, "nothing refused was stored");

    // A photo-sized file (about 3 MB that does not compress) goes up too.
    let mut noise = image::RgbImage::new(1000, 1000);
    let mut seed = 7u32;
    for pixel in noise.pixels_mut() {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let [r, g, b, _] = seed.to_le_bytes();
        *pixel = image::Rgb([r, g, b]);
    }
    let mut big = Vec::new();
    image::DynamicImage::ImageRgb8(noise)
        .write_to(&mut Cursor::new(&mut big), image::ImageFormat::Png)
        .expect("a png");
    assert!(big.len() > 2_500_000, "{}", big.len());
    let res = upload(&app, &cookie, product, &big, "big.png", "Noise").await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let noise_id: i64 =
        sqlx::query_scalar("SELECT max(id) FROM product_images WHERE alt = 'Noise'")
            .fetch_one(&app.pool)
            .await
            .expect("stored");
    let res = app
        .call(
            "/api/admin/products/images/remove",
            &format!("product={product}&image={noise_id}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);

    // A PNG named .jpg is a PNG: stored and served as one.
    let bytes = png(1000, 500);
    let res = upload(&app, &cookie, product, &bytes, "photo.jpg", "Front view").await;
    assert_eq!(
        res.status(),
        200,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let after = pictures(&app, product).await;
    assert_eq!(after.len(), before.len() + 1);
    let (id, stored, alt) = after.last().expect("the new picture").clone();
    assert!(
        stored.ends_with(".png") && stored.len() == 64 + 4,
        "{stored}"
    );
    assert_eq!(alt, "Front view");
    let res = app.get(&format!("/media/{stored}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["cache-control"]
        .to_str()
        .expect("header")
        .contains("immutable"));
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), bytes);
    for missing in ["/media/nope.png", "/media/..%2Fsecret.png", "/media/a.svg"] {
        assert_eq!(app.get(missing).await.status(), 404, "{missing}");
    }
    // The same picture again on this product is a double submit.
    let again = upload(&app, &cookie, product, &bytes, "photo.png", "Front view").await;
    assert_eq!(
        field_error(again, "file").await,
        "That picture is on this product already."
    );

    // Move it first, so the shop's pages show it.
    for _ in 1..after.len() {
        let res = app
            .call(
                "/api/admin/products/images/shift",
                &format!("product={product}&image={id}&direction=up"),
                Some(&cookie),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    assert_eq!(pictures(&app, product).await[0].0, id);
    // Until its copies are made, the shop shows it as uploaded, at its size.
    let page = app
        .get(&format!("/p/{slug}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains(&format!("src=\"/media/{stored}\"")));
    assert!(page.contains("width=\"1000\" height=\"500\""));

    // The copies are the worker's: JPEGs narrower than the picture and one at its own
    // width (so no page needs the upload, with whatever metadata it carries).
    while mercato::catalog::images::render_next(&app.pool, &*app.media)
        .await
        .expect("rendered")
    {}
    let (renditions, rendered): (Vec<i32>, bool) =
        sqlx::query_as("SELECT renditions, rendered FROM product_images WHERE id = $1")
            .bind(id)
            .fetch_one(&app.pool)
            .await
            .expect("renditions");
    assert_eq!((renditions, rendered), (vec![400, 800, 1000], true));
    let stem = stored.trim_end_matches(".png");
    let small = app.get(&format!("/media/{stem}-r1-400.jpg")).await;
    assert_eq!(small.status(), 200);
    assert_eq!(small.headers()["content-type"], "image/jpeg");
    assert!(small.headers()["cache-control"]
        .to_str()
        .expect("header")
        .contains("immutable"));
    let small = image::load_from_memory(&small.bytes().await.expect("bytes")).expect("a picture");
    assert_eq!((small.width(), small.height()), (400, 200));
    let page = app
        .get(&format!("/p/{slug}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        page.contains(&format!(
            "srcset=\"/media/{stem}-r1-400.jpg 400w, /media/{stem}-r1-800.jpg 800w, /media/{stem}-r1-1000.jpg 1000w\""
        )),
        "srcset"
    );
    assert!(
        page.contains(&format!("src=\"/media/{stem}-r1-1000.jpg\"")),
        "the largest copy"
    );
    assert!(
        !page.contains(&format!("/media/{stored}")),
        "never the upload"
    );
    assert!(page.contains("width=\"1000\" height=\"500\""));

    // Removed: gone from the product. Every change is audited.
    let res = app
        .call(
            "/api/admin/products/images/remove",
            &format!("product={product}&image={id}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(pictures(&app, product).await, before);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE subject_kind = 'product' AND subject_id = $1::text ORDER BY id",
    )
    .bind(product)
    .fetch_all(&app.pool)
    .await
    .expect("audit");
    // Noise added and removed, this one added, moved to the front, removed.
    assert_eq!(actions.len(), 2 + 1 + (after.len() - 1) + 1, "{actions:?}");
    assert!(actions.iter().all(|a| a == "product.images"), "{actions:?}");
    // Another product's picture is not this product's to remove.
    let (other, other_image): (i64, i64) = sqlx::query_as(
        "SELECT product_id, id FROM product_images WHERE product_id <> $1 ORDER BY id LIMIT 1",
    )
    .bind(product)
    .fetch_one(&app.pool)
    .await
    .expect("another product's picture");
    let res = app
        .call(
            "/api/admin/products/images/remove",
            &format!("product={product}&image={other_image}"),
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), 404);
    assert!(
        pictures(&app, other)
            .await
            .iter()
            .any(|p| p.0 == other_image),
        "still there"
    );
}

#[tokio::test]
async fn a_picture_whose_copies_cannot_be_made_is_tried_again_later_then_shown_as_uploaded() {
    let app = seeded_app().await;
    let product: i64 = sqlx::query_scalar("SELECT min(id) FROM products")
        .fetch_one(&app.pool)
        .await
        .expect("a product");
    // A row whose file is not in the storage (another process's, say).
    let name = format!("{}.png", "ab".repeat(32));
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO product_images (product_id, position, url, alt, stored_name, width, height)
         VALUES ($1, 50, '/media/' || $2, 'Lost', $2, 10, 10) RETURNING id",
    )
    .bind(product)
    .bind(&name)
    .fetch_one(&app.pool)
    .await
    .expect("a picture");
    let render = || mercato::catalog::images::render_next(&app.pool, &*app.media);
    assert!(render().await.expect("tried"));
    // Not again at once: later, and it holds up nothing else meanwhile.
    assert!(!render().await.expect("nothing due"));
    let state = || async {
        sqlx::query_as::<_, (bool, i32)>(
            "SELECT rendered, render_attempts FROM product_images WHERE id = $1",
        )
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("state")
    };
    assert_eq!(state().await, (false, 1));
    // After the last attempt it is shown as uploaded, and left alone.
    for attempt in 2..=5 {
        sqlx::query("UPDATE product_images SET render_after = now() WHERE id = $1")
            .bind(id)
            .execute(&app.pool)
            .await
            .expect("due");
        assert!(render().await.expect("tried"));
        assert_eq!(state().await.1, attempt);
    }
    assert_eq!(state().await, (true, 5));
}

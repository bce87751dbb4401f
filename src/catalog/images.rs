//! Product pictures staff upload: the type read from the bytes (JPEG, PNG, WebP, never
//! the file's name), a size cap and a pixel cap checked from the headers before anything
//! is decoded (so a decompression bomb is refused, not expanded), a check that the file
//! is whole, then a full decode under those limits, one or two at a time. Files are
//! stored under the SHA-256 of their bytes. The worker then makes the copies shoppers
//! get: JPEGs 400, 800 and 1600 px wide (and one at the picture's own width when it is
//! narrower), turned upright by the photo's EXIF orientation and without its metadata
//! (no camera position leaves the shop). Until they exist, pages show the original.

use serde::{Deserialize, Serialize};

/// The largest upload, in bytes.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// The most pixels a picture may have (about 8000 × 5000).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The longest side a picture may have.
pub const MAX_SIDE: u32 = 10_000;
/// The widths of the renditions made of each picture (those narrower than it).
pub const RENDITION_WIDTHS: [u32; 3] = [400, 800, 1600];
/// Pictures per product.
pub const MAX_IMAGES: i64 = 20;

/// A picture's file type, as its first bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageKind {
    Jpeg,
    Png,
    Webp,
}

impl ImageKind {
    /// From the file's first bytes; `None` for anything else (whatever its name says).
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }

    /// The type of a stored file, by its extension.
    pub fn of_extension(ext: &str) -> Option<ImageKind> {
        [ImageKind::Jpeg, ImageKind::Png, ImageKind::Webp]
            .into_iter()
            .find(|k| k.extension() == ext)
    }
}

/// Why an upload was refused, in the words staff read beside the file field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("Choose a picture to upload.")]
    Empty,
    #[error("That file is larger than {} MB. Make it smaller and upload it again.", MAX_BYTES / (1024 * 1024))]
    TooLarge,
    #[error("That isn't a JPEG, PNG or WebP picture (whatever its name says).")]
    NotAnImage,
    #[error("That picture is {width} × {height} pixels; the most is {} megapixels and {MAX_SIDE} pixels a side. Make it smaller and upload it again.", MAX_PIXELS / 1_000_000)]
    TooManyPixels { width: u32, height: u32 },
    #[error("Animated pictures aren't supported: upload a still one.")]
    Animated,
    #[error("That picture can't be read: it may be damaged or cut short. Export it again and upload that.")]
    Unreadable,
    #[error("A product can have up to {MAX_IMAGES} pictures: remove one to add another.")]
    Full,
    #[error("That picture is on this product already.")]
    AlreadyThere,
}

/// What the upload's checks found out about a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
}

/// A product's picture, as the editor lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffImage {
    pub id: i64,
    /// A small copy when there is one, else the picture itself.
    pub thumbnail: String,
    pub alt: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
    /// Whether the shop's copies are still to be made (the worker's next job).
    pub preparing: bool,
}

/// The widths of the copies made of a picture `width` pixels wide: 400, 800 and 1600
/// where narrower, and its own width when that is 1600 or less (so that no page ever
/// needs the original).
pub fn copy_widths(width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = RENDITION_WIDTHS
        .into_iter()
        .filter(|w| *w < width)
        .collect();
    if width <= RENDITION_WIDTHS[RENDITION_WIDTHS.len() - 1] {
        widths.push(width);
    }
    widths
}

/// The `srcset` of a stored picture's copies (`widths` as made).
pub fn srcset(name: &str, widths: &[i32]) -> String {
    widths
        .iter()
        .map(|w| format!("{} {w}w", media_url(&rendition_name(name, *w))))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Where the shop serves a stored file.
pub fn media_url(name: &str) -> String {
    format!("/media/{name}")
}

/// The name of the copy `width` pixels wide of the stored file `name`: always a JPEG
/// (`<hash>.png` → `<hash>-r1-400.jpg`). `r1` is how copies are made now: a change to
/// that (another size, quality or colour handling) takes another name, since browsers
/// keep each for a year.
pub fn rendition_name(name: &str, width: i32) -> String {
    let stem = name.split_once('.').map_or(name, |(stem, _)| stem);
    format!("{stem}-r1-{width}.jpg")
}

#[cfg(feature = "server")]
pub use server::*;

#[cfg(feature = "server")]
mod server {
    use super::*;
    use crate::admin::audit::{self, Action, Subject, SubjectKind};
    use crate::admin::{Permission, Staff};
    use crate::db::constraint::OnConstraint;
    use crate::storage::Storage;
    use crate::Error;
    use image::metadata::Orientation;
    use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
    use serde_json::json;
    use sha2::{Digest, Sha256};
    use sqlx::PgPool;
    use std::io::Cursor;
    use std::sync::OnceLock;
    use tokio::sync::Semaphore;

    /// Decodes at once, for uploads and the worker together: each may take a few
    /// hundred megabytes for a moment.
    const DECODES_AT_ONCE: usize = 2;

    fn decoding() -> &'static Semaphore {
        static GATE: OnceLock<Semaphore> = OnceLock::new();
        GATE.get_or_init(|| Semaphore::new(DECODES_AT_ONCE))
    }

    /// Runs the CPU-bound `work` off the async threads, when a decode slot is free.
    async fn decode_slot<T: Send + 'static>(
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Error> {
        let _slot = decoding()
            .acquire()
            .await
            .map_err(|e| Error::internal(format!("the decode gate closed: {e}")))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::internal(format!("a picture's decode stopped: {e}")))
    }

    fn format_of(kind: ImageKind) -> ImageFormat {
        match kind {
            ImageKind::Jpeg => ImageFormat::Jpeg,
            ImageKind::Png => ImageFormat::Png,
            ImageKind::Webp => ImageFormat::WebP,
        }
    }

    fn limits() -> Limits {
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_SIDE);
        limits.max_image_height = Some(MAX_SIDE);
        // Four bytes a pixel, and room for the decoder's own buffers.
        limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
        limits
    }

    /// Decodes a picture under the limits, upright by its EXIF orientation.
    fn decode(bytes: &[u8], kind: ImageKind) -> image::ImageResult<DynamicImage> {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format_of(kind));
        reader.limits(limits());
        let mut decoder = reader.into_decoder()?;
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let mut image = DynamicImage::from_decoder(decoder)?;
        image.apply_orientation(orientation);
        Ok(image)
    }

    /// Checks an upload: its size, its type from its bytes, its dimensions from its
    /// headers (before decoding anything), that it is whole, then that it decodes.
    /// Gives its size upright. CPU-bound: see [`upload`].
    pub fn inspect(bytes: &[u8]) -> Result<Inspected, UploadError> {
        if bytes.is_empty() {
            return Err(UploadError::Empty);
        }
        if bytes.len() > MAX_BYTES {
            return Err(UploadError::TooLarge);
        }
        let kind = ImageKind::sniff(bytes).ok_or(UploadError::NotAnImage)?;
        let (width, height) = match kind {
            // From the header chunk itself: the decoder reads on to the first data
            // chunk, which a file that is only a header lacks.
            ImageKind::Png => png_size(bytes).ok_or(UploadError::Unreadable)?,
            ImageKind::Webp => webp_size(bytes)?,
            ImageKind::Jpeg => ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg)
                .into_dimensions()
                .map_err(|_| UploadError::Unreadable)?,
        };
        if width > MAX_SIDE
            || height > MAX_SIDE
            || u64::from(width) * u64::from(height) > MAX_PIXELS
        {
            return Err(UploadError::TooManyPixels { width, height });
        }
        // Decoders fill in what a cut-short file lacks; its end says it is whole.
        if !is_whole(kind, bytes) {
            return Err(UploadError::Unreadable);
        }
        let image = decode(bytes, kind).map_err(|e| {
            tracing::info!(error = %e, "an uploaded picture could not be decoded");
            match e {
                image::ImageError::Limits(_) => UploadError::TooManyPixels { width, height },
                _ => UploadError::Unreadable,
            }
        })?;
        Ok(Inspected {
            kind,
            width: image.width(),
            height: image.height(),
        })
    }

    fn be32(bytes: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    }

    fn le24(bytes: &[u8], at: usize) -> Option<u32> {
        let b = bytes.get(at..at + 3)?;
        Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
    }

    /// A PNG's size, from its first chunk (which must be its header).
    fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
        if bytes.get(12..16)? != b"IHDR" {
            return None;
        }
        Some((be32(bytes, 16)?, be32(bytes, 20)?))
    }

    /// A WebP's size, from its image data's own header: the decoder would decode that
    /// at whatever size it says, whatever an extended file's canvas claims, so the two
    /// must agree. Animations are refused.
    fn webp_size(bytes: &[u8]) -> Result<(u32, u32), UploadError> {
        let mut at = 12;
        let mut canvas = None;
        while let (Some(fourcc), Some(len)) = (bytes.get(at..at + 4), bytes.get(at + 4..at + 8)) {
            let len =
                u32::from_le_bytes(len.try_into().map_err(|_| UploadError::Unreadable)?) as usize;
            let data = at + 8;
            match fourcc {
                b"VP8X" => {
                    let w = le24(bytes, data + 4).ok_or(UploadError::Unreadable)? + 1;
                    let h = le24(bytes, data + 7).ok_or(UploadError::Unreadable)? + 1;
                    canvas = Some((w, h));
                }
                b"ANIM" | b"ANMF" => return Err(UploadError::Animated),
                b"VP8 " => {
                    // A key frame: three bytes of tag, the start code, 14-bit sizes.
                    if bytes.get(data + 3..data + 6) != Some(&[0x9d, 0x01, 0x2a]) {
                        return Err(UploadError::Unreadable);
                    }
                    let w = u32::from(
                        u16::from_le_bytes([
                            bytes[data + 6],
                            *bytes.get(data + 7).ok_or(UploadError::Unreadable)?,
                        ]) & 0x3fff,
                    );
                    let h = u32::from(
                        u16::from_le_bytes([
                            *bytes.get(data + 8).ok_or(UploadError::Unreadable)?,
                            *bytes.get(data + 9).ok_or(UploadError::Unreadable)?,
                        ]) & 0x3fff,
                    );
                    return agree(canvas, (w, h));
                }
                b"VP8L" => {
                    if bytes.get(data) != Some(&0x2f) {
                        return Err(UploadError::Unreadable);
                    }
                    let bits = u32::from_le_bytes(
                        bytes
                            .get(data + 1..data + 5)
                            .and_then(|b| b.try_into().ok())
                            .ok_or(UploadError::Unreadable)?,
                    );
                    return agree(canvas, ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1));
                }
                _ => {}
            }
            // Chunks are padded to an even length.
            at = data.saturating_add(len).saturating_add(len & 1);
        }
        Err(UploadError::Unreadable)
    }

    fn agree(canvas: Option<(u32, u32)>, frame: (u32, u32)) -> Result<(u32, u32), UploadError> {
        match canvas {
            Some(canvas) if canvas != frame => Err(UploadError::Unreadable),
            _ => Ok(frame),
        }
    }

    /// Whether a file has its end: a JPEG's end-of-image marker after the start of its
    /// compressed data (the headers before it may hold a thumbnail with one of its
    /// own), a PNG's end chunk, a WebP's whole RIFF length.
    fn is_whole(kind: ImageKind, bytes: &[u8]) -> bool {
        match kind {
            ImageKind::Jpeg => jpeg_scan_start(bytes)
                .and_then(|scan| bytes.get(scan..))
                .is_some_and(|data| data.windows(2).any(|w| w == [0xFF, 0xD9])),
            ImageKind::Png => {
                bytes.len() >= 12 && &bytes[bytes.len() - 8..bytes.len() - 4] == b"IEND"
            }
            ImageKind::Webp => bytes
                .get(4..8)
                .and_then(|n| n.try_into().ok())
                .map(u32::from_le_bytes)
                .is_some_and(|n| (n as usize).saturating_add(8) <= bytes.len()),
        }
    }

    /// Where a JPEG's first compressed data starts: after its first start-of-scan
    /// segment, found by walking the segments by their lengths.
    fn jpeg_scan_start(bytes: &[u8]) -> Option<usize> {
        let mut at = 2;
        loop {
            if *bytes.get(at)? != 0xFF {
                return None;
            }
            let marker = *bytes.get(at + 1)?;
            match marker {
                0xFF => at += 1,
                0x01 | 0xD0..=0xD7 => at += 2,
                _ => {
                    let len = usize::from(u16::from_be_bytes([
                        *bytes.get(at + 2)?,
                        *bytes.get(at + 3)?,
                    ]));
                    let end = at + 2 + len;
                    if marker == 0xDA {
                        return Some(end);
                    }
                    at = end;
                }
            }
        }
    }

    /// The copies of a stored picture (see [`copy_widths`]): (width, file name, JPEG
    /// bytes), each made from the next larger. CPU-bound: call it off the async threads.
    pub fn renditions(name: &str, bytes: &[u8]) -> Result<Vec<(u32, String, Vec<u8>)>, Error> {
        let kind = name
            .rsplit_once('.')
            .and_then(|(_, ext)| ImageKind::of_extension(ext))
            .ok_or_else(|| Error::internal(format!("{name} is not a stored picture")))?;
        let mut image =
            decode(bytes, kind).map_err(|e| Error::internal(format!("decoding {name}: {e}")))?;
        if image.color().has_alpha() {
            // JPEG has no transparency: what is transparent shows the page's white.
            let mut flat = image::RgbaImage::from_pixel(
                image.width(),
                image.height(),
                image::Rgba([255, 255, 255, 255]),
            );
            image::imageops::overlay(&mut flat, &image.to_rgba8(), 0, 0);
            image = DynamicImage::ImageRgba8(flat);
        }
        let mut out = Vec::new();
        let mut from = image;
        for width in copy_widths(from.width()).into_iter().rev() {
            let height = (u64::from(from.height()) * u64::from(width) / u64::from(from.width()))
                .max(1) as u32;
            let copy = if width == from.width() {
                from.clone()
            } else {
                from.resize_exact(width, height, image::imageops::FilterType::Lanczos3)
            };
            let file = rendition_name(name, width as i32);
            let mut encoded = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut encoded, 82)
                .encode_image(&copy.to_rgb8())
                .map_err(|e| Error::internal(format!("encoding {file}: {e}")))?;
            out.push((width, file, encoded));
            from = copy;
        }
        out.reverse();
        Ok(out)
    }

    /// The name a picture is stored under: the SHA-256 of its bytes.
    pub fn stored_name(bytes: &[u8], kind: ImageKind) -> String {
        format!(
            "{}.{}",
            hex::encode(Sha256::digest(bytes)),
            kind.extension()
        )
    }

    /// The alt text of a picture: required, up to 300 characters.
    pub fn parse_alt(alt: &str) -> Result<String, Error> {
        let alt = alt.trim();
        if alt.is_empty() {
            Err(Error::field(
                "alt",
                "Describe the picture for people who can't see it (such as \"Navy rain shell, front\").",
            ))
        } else if alt.chars().count() > 300 {
            Err(Error::field("alt", "Alt text can be up to 300 characters."))
        } else if alt.contains('\0') {
            Err(Error::field(
                "alt",
                "Alt text has a character that can't be stored (NUL): remove it.",
            ))
        } else {
            Ok(alt.to_owned())
        }
    }

    /// How many pictures product `product` has (`NotFound` when it does not exist).
    async fn count(conn: &mut sqlx::PgConnection, product: i64, lock: bool) -> Result<i64, Error> {
        let exists = if lock {
            sqlx::query_scalar!(
                "SELECT id FROM products WHERE id = $1 FOR NO KEY UPDATE",
                product
            )
            .fetch_optional(&mut *conn)
            .await?
        } else {
            sqlx::query_scalar!("SELECT id FROM products WHERE id = $1", product)
                .fetch_optional(&mut *conn)
                .await?
        };
        exists.ok_or(Error::NotFound)?;
        Ok(sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM product_images WHERE product_id = $1"#,
            product
        )
        .fetch_one(&mut *conn)
        .await?)
    }

    /// Adds an uploaded picture to product `product`, last. Nothing is stored for a
    /// product that does not exist or has no room; the bytes are checked (off the async
    /// threads, a couple at a time) before they are stored and the row written; the
    /// worker makes the shop's copies.
    pub async fn upload(
        pool: &PgPool,
        storage: &dyn Storage,
        staff: &Staff,
        product: i64,
        bytes: Vec<u8>,
        alt: &str,
    ) -> Result<i64, Error> {
        staff.require(Permission::Catalog)?;
        let alt = parse_alt(alt)?;
        let file_error = |e: UploadError| Error::field("file", e.to_string());
        if count(&mut *pool.acquire().await?, product, false).await? >= MAX_IMAGES {
            return Err(file_error(UploadError::Full));
        }
        let (inspected, bytes) = decode_slot(move || (inspect(&bytes), bytes)).await?;
        let inspected = inspected.map_err(file_error)?;
        let name = stored_name(&bytes, inspected.kind);
        storage
            .put(&name, &bytes)
            .await
            .map_err(|e| Error::internal(format!("storing {name}: {e}")))?;
        let mut tx = pool.begin().await?;
        // Locked: pictures added at once each get their own place, and the cap holds.
        if count(&mut tx, product, true).await? >= MAX_IMAGES {
            return Err(file_error(UploadError::Full));
        }
        let id = sqlx::query_scalar!(
            "INSERT INTO product_images (product_id, position, url, alt, stored_name, width, height, rendered)
             VALUES ($1, (SELECT coalesce(max(position) + 1, 0) FROM product_images WHERE product_id = $1),
                     $2, $3, $4, $5, $6, false)
             RETURNING id",
            product,
            media_url(&name),
            alt,
            name,
            inspected.width as i32,
            inspected.height as i32,
        )
        .fetch_one(&mut *tx)
        .await
        .on_constraint("product_images_stored_once", || file_error(UploadError::AlreadyThere))?;
        record(
            &mut tx,
            staff,
            product,
            None,
            json!({ "image": name, "alt": alt }),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn record(
        tx: &mut sqlx::PgConnection,
        staff: &Staff,
        product: i64,
        before: Option<serde_json::Value>,
        after: serde_json::Value,
    ) -> Result<(), Error> {
        let id = product.to_string();
        audit::record(
            tx,
            staff,
            Action::ProductImages,
            Subject {
                kind: SubjectKind::Product,
                id: &id,
            },
            before,
            Some(after),
        )
        .await
    }

    /// Product `product`'s pictures, in order.
    pub async fn list(pool: &PgPool, product: i64) -> Result<Vec<StaffImage>, Error> {
        Ok(sqlx::query!(
            "SELECT id, url, alt, stored_name, width, height, renditions, rendered
             FROM product_images WHERE product_id = $1 ORDER BY position, id",
            product
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| {
            let thumbnail = match (&r.stored_name, r.renditions.first()) {
                (Some(name), Some(smallest)) => media_url(&rendition_name(name, *smallest)),
                _ => r.url,
            };
            StaffImage {
                id: r.id,
                thumbnail,
                alt: r.alt,
                width: r.width,
                height: r.height,
                preparing: !r.rendered && r.stored_name.is_some(),
            }
        })
        .collect())
    }

    /// Moves picture `image` of `product` one place earlier or later.
    pub async fn shift(
        pool: &PgPool,
        staff: &Staff,
        product: i64,
        image: i64,
        direction: super::super::Direction,
    ) -> Result<(), Error> {
        staff.require(Permission::Catalog)?;
        let mut tx = pool.begin().await?;
        count(&mut tx, product, true).await?;
        let mut order: Vec<i64> = sqlx::query_scalar!(
            "SELECT id FROM product_images WHERE product_id = $1 ORDER BY position, id",
            product
        )
        .fetch_all(&mut *tx)
        .await?;
        let Some((at, to)) = super::super::move_one(&mut order, image, direction)? else {
            return Ok(());
        };
        // Positions are unique per product: moved out of the way first, then set.
        sqlx::query!(
            "UPDATE product_images SET position = -1 - position WHERE product_id = $1",
            product
        )
        .execute(&mut *tx)
        .await?;
        let positions: Vec<i32> = (0..order.len() as i32).collect();
        sqlx::query!(
            "UPDATE product_images i SET position = u.position
             FROM UNNEST($1::bigint[], $2::int[]) AS u(id, position)
             WHERE i.id = u.id AND i.product_id = $3",
            &order,
            &positions,
            product,
        )
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            staff,
            product,
            Some(json!({ "image": image, "position": at })),
            json!({ "image": image, "position": to }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes picture `image` from `product`. (Its file stays: another product may
    /// show the same bytes, and a sweep of files nothing shows is still to come.)
    pub async fn remove(
        pool: &PgPool,
        staff: &Staff,
        product: i64,
        image: i64,
    ) -> Result<(), Error> {
        staff.require(Permission::Catalog)?;
        let mut tx = pool.begin().await?;
        let removed = sqlx::query!(
            "DELETE FROM product_images WHERE id = $1 AND product_id = $2 RETURNING url, alt",
            image,
            product
        )
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Error::NotFound)?;
        record(
            &mut tx,
            staff,
            product,
            Some(json!({ "image": removed.url, "alt": removed.alt })),
            json!({ "image": null }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How often the worker tries one picture before showing it without copies.
    const ATTEMPTS: i32 = 5;

    /// Makes the copies of one picture still without them; gives whether there was one
    /// to try. A picture is claimed in a short transaction (several workers share the
    /// work, and nobody waits on one being made); a failure is tried again later, at
    /// most [`ATTEMPTS`] times, and does not hold up the pictures after it.
    pub async fn render_next(pool: &PgPool, storage: &dyn Storage) -> Result<bool, Error> {
        let Some(next) = sqlx::query!(
            r#"UPDATE product_images SET render_attempts = render_attempts + 1,
                      render_after = now() + interval '1 minute' * (render_attempts + 1)
               WHERE id = (SELECT id FROM product_images
                           WHERE NOT rendered AND stored_name IS NOT NULL AND render_after <= now()
                           ORDER BY render_after, id LIMIT 1 FOR UPDATE SKIP LOCKED)
               RETURNING id, stored_name AS "stored_name!", render_attempts"#
        )
        .fetch_optional(pool)
        .await?
        else {
            return Ok(false);
        };
        let name = next.stored_name.clone();
        let made = match storage.get(&name).await {
            Ok(Some(bytes)) => {
                let stored = name.clone();
                decode_slot(move || renditions(&stored, &bytes))
                    .await
                    .and_then(|r| r)
            }
            Ok(None) => Err(Error::internal(format!(
                "{name} is not in the media storage"
            ))),
            Err(e) => Err(Error::internal(format!("reading {name}: {e}"))),
        };
        let widths = match made {
            Ok(made) => {
                let mut widths = Vec::new();
                for (width, file, bytes) in made {
                    storage
                        .put(&file, &bytes)
                        .await
                        .map_err(|e| Error::internal(format!("storing {file}: {e}")))?;
                    widths.push(width as i32);
                }
                widths
            }
            Err(e) if next.render_attempts < ATTEMPTS => {
                tracing::warn!(%e, name, attempt = next.render_attempts, "could not make a picture's copies; will try again");
                return Ok(true);
            }
            Err(e) => {
                tracing::error!(%e, name, "gave up making a picture's copies: shown as uploaded");
                Vec::new()
            }
        };
        sqlx::query!(
            "UPDATE product_images SET rendered = true, renditions = $2 WHERE id = $1",
            next.id,
            &widths
        )
        .execute(pool)
        .await?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_comes_from_the_bytes() {
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\nrest"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b"<svg xmlns="), None);
        assert_eq!(ImageKind::sniff(b""), None);
    }

    #[test]
    fn copies_are_made_narrower_than_the_picture_and_at_its_width_up_to_1600() {
        assert_eq!(copy_widths(300), vec![300]);
        assert_eq!(copy_widths(1000), vec![400, 800, 1000]);
        assert_eq!(copy_widths(1600), vec![400, 800, 1600]);
        assert_eq!(copy_widths(4000), vec![400, 800, 1600]);
        assert_eq!(
            srcset("ab.png", &[400, 800, 1000]),
            "/media/ab-r1-400.jpg 400w, /media/ab-r1-800.jpg 800w, /media/ab-r1-1000.jpg 1000w"
        );
        assert_eq!(rendition_name("ab.webp", 400), "ab-r1-400.jpg");
    }

    #[cfg(feature = "server")]
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::DynamicImage::new_rgba8(width, height)
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .expect("a png");
        out
    }

    #[cfg(feature = "server")]
    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&image::DynamicImage::new_rgb8(width, height).to_rgb8())
            .expect("a jpeg");
        out
    }

    #[cfg(feature = "server")]
    #[test]
    fn uploads_are_checked_before_and_while_decoding() {
        let ok = png(640, 480);
        assert_eq!(
            inspect(&ok),
            Ok(Inspected {
                kind: ImageKind::Png,
                width: 640,
                height: 480
            })
        );
        assert_eq!(inspect(&[]), Err(UploadError::Empty));
        assert_eq!(inspect(b"just some text"), Err(UploadError::NotAnImage));
        assert_eq!(inspect(&ok[..ok.len() / 2]), Err(UploadError::Unreadable));
        let jpeg = jpeg(300, 200);
        assert_eq!(inspect(&jpeg).map(|i| i.kind), Ok(ImageKind::Jpeg));
        assert_eq!(
            inspect(&jpeg[..jpeg.len() * 2 / 3]),
            Err(UploadError::Unreadable)
        );
        // A thumbnail's end marker in the headers (as phones write) does not make a
        // file cut short in its picture whole.
        let scan = jpeg
            .windows(2)
            .position(|w| w == [0xFF, 0xDA])
            .expect("a scan");
        let mut with_thumbnail = jpeg[..2].to_vec();
        with_thumbnail.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x06, 0xFF, 0xD8, 0xFF, 0xD9]);
        with_thumbnail.extend_from_slice(&jpeg[2..scan + 12]);
        assert_eq!(inspect(&with_thumbnail), Err(UploadError::Unreadable));
    }

    #[cfg(feature = "server")]
    #[test]
    fn copies_are_upright_jpegs_made_from_one_another() {
        let made = renditions("abc.png", &png(900, 300)).expect("copies");
        let sizes: Vec<(u32, String)> = made.iter().map(|(w, n, _)| (*w, n.clone())).collect();
        assert_eq!(
            sizes,
            vec![
                (400, "abc-r1-400.jpg".to_owned()),
                (800, "abc-r1-800.jpg".to_owned()),
                (900, "abc-r1-900.jpg".to_owned()),
            ]
        );
        let small = image::load_from_memory(&made[0].2).expect("decodes");
        assert_eq!((small.width(), small.height()), (400, 133));
        // Transparent became the page's white, not black.
        assert_eq!(small.to_rgb8().get_pixel(10, 10).0, [255, 255, 255]);
    }
}

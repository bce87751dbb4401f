//! Where uploaded files live: a small seam ([`Storage`]) so that a later change can put
//! them in object storage. Files are named by their content (see
//! [`crate::catalog::images`]), so a name's bytes never change: writing one twice is
//! harmless and readers may cache forever.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;

/// A future a storage call returns (boxed: storages are used as `dyn Storage`).
pub type StorageFuture<'a, T> = Pin<Box<dyn Future<Output = io::Result<T>> + Send + 'a>>;

/// A stored file being read: its length and its bytes as they come.
pub type Reading = (u64, Pin<Box<dyn tokio::io::AsyncRead + Send>>);

/// Stores and gives back files by name ([`is_valid_name`]: a storage may take them as
/// paths, and refuses any other).
pub trait Storage: std::fmt::Debug + Send + Sync + 'static {
    /// Stores `bytes` as `name`: a reader sees the whole file or none. A name already
    /// stored is left as it is (names are content hashes: same name, same bytes).
    fn put<'a>(&'a self, name: &'a str, bytes: &'a [u8]) -> StorageFuture<'a, ()>;
    /// The file `name`, whole, or `None` when there is none.
    fn get<'a>(&'a self, name: &'a str) -> StorageFuture<'a, Option<Vec<u8>>>;
    /// The file `name` to stream (a large file is never held in memory whole), or
    /// `None` when there is none.
    fn open<'a>(&'a self, name: &'a str) -> StorageFuture<'a, Option<Reading>>;
}

/// Whether `name` is one a storage may be asked for: lowercase letters, digits, `-`
/// and one `.` before a short extension; no path separators, nothing hidden.
pub fn is_valid_name(name: &str) -> bool {
    let Some((stem, ext)) = name.split_once('.') else {
        return false;
    };
    !stem.is_empty()
        && stem.len() <= 100
        && (1..=5).contains(&ext.len())
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && ext
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// Files in a folder of the local disk (`MERCATO_DATA_DIR/media`).
#[derive(Debug, Clone)]
pub struct LocalFiles {
    root: PathBuf,
}

impl LocalFiles {
    pub fn new(root: impl Into<PathBuf>) -> LocalFiles {
        LocalFiles { root: root.into() }
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        if is_valid_name(name) {
            Ok(self.root.join(name))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a file name",
            ))
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Storage for LocalFiles {
    fn put<'a>(&'a self, name: &'a str, bytes: &'a [u8]) -> StorageFuture<'a, ()> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Box::pin(async move {
            let path = self.path(name)?;
            if tokio::fs::try_exists(&path).await? {
                return Ok(());
            }
            tokio::fs::create_dir_all(&self.root).await?;
            // Written aside under a name no other write uses (this process's, and a
            // count), synced, then renamed into place.
            let partial = self.root.join(format!(
                ".{name}.{}.{}.partial",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            let written = async {
                let mut file = tokio::fs::File::create(&partial).await?;
                tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
                file.sync_all().await?;
                tokio::fs::rename(&partial, &path).await
            }
            .await;
            if written.is_err() {
                let _ = tokio::fs::remove_file(&partial).await;
            }
            written
        })
    }

    fn get<'a>(&'a self, name: &'a str) -> StorageFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            match tokio::fs::read(self.path(name)?).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
    }

    fn open<'a>(&'a self, name: &'a str) -> StorageFuture<'a, Option<Reading>> {
        Box::pin(async move {
            match tokio::fs::File::open(self.path(name)?).await {
                Ok(file) => {
                    let len = file.metadata().await?.len();
                    Ok(Some((
                        len,
                        Box::pin(file) as Pin<Box<dyn tokio::io::AsyncRead + Send>>,
                    )))
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_names_are_files() {
        for ok in ["ab12.png", "0f-400.jpg", "a.webp"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".png",
            "a",
            "../a.png",
            "a/b.png",
            "A.png",
            "a.b.c",
            ".hidden.png",
            "a.toolong",
            "a.PNG",
            "a .png",
        ] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[tokio::test]
    async fn a_file_written_is_read_back_and_a_missing_one_is_none() {
        let dir = std::env::temp_dir().join(format!("mercato-storage-{}", std::process::id()));
        let files = LocalFiles::new(&dir);
        files.put("abc.png", b"bytes").await.expect("put");
        assert_eq!(
            files.get("abc.png").await.expect("get"),
            Some(b"bytes".to_vec())
        );
        assert_eq!(files.get("nope.png").await.expect("get"), None);
        assert!(files.get("../etc.png").await.is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}

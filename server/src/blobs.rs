//! Photo bytes, kept by their SHA-256 behind one [`BlobStore`] trait. Two stores:
//! - [`FileBlobs`]: a folder beside a file-backed SQLite database (`zhigai.db.photos/ab/abcd…`), the
//!   default: the database file stays small (thousands of photos would make every backup and `VACUUM` of it
//!   heavy), files are written once and never changed, and a backup copies the folder with the file.
//! - [`DatabaseBlobs`]: the `blob_data` table, for PostgreSQL (and in-memory SQLite): every instance of a
//!   deployment reaches the same database, so they share one store with no shared disk to set up.
//!
//! [`sweep`] removes uploads no document references once a grace period has passed; a referenced one is
//! never removed (the database decides that in one statement, see `Store::forget_unreferenced_blob`).

use crate::db::{DbError, Store};
use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use zhigai_shared::photo::PhotoHash;

/// Where photo bytes live.
#[async_trait]
pub trait BlobStore: Send + Sync + 'static {
    /// Keeps `bytes` under `hash` (the caller has checked that they hash to it); keeping the same bytes
    /// twice is harmless.
    async fn put(&self, hash: &PhotoHash, bytes: &[u8]) -> Result<(), DbError>;
    /// The bytes under `hash`, if kept.
    async fn get(&self, hash: &PhotoHash) -> Result<Option<Vec<u8>>, DbError>;
    /// Drops the bytes under `hash` (nothing if there are none).
    async fn delete(&self, hash: &PhotoHash) -> Result<(), DbError>;
    /// What this store is, for the start-up log.
    fn describe(&self) -> String;
}

/// A folder of files named by hash, two hex digits of fan-out.
pub struct FileBlobs {
    root: PathBuf,
}

impl FileBlobs {
    /// The store in `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, hash: &PhotoHash) -> PathBuf {
        // A PhotoHash is 64 hex digits by construction: no separators, no `..`.
        let h = hash.as_str();
        self.root.join(&h[..2]).join(h)
    }
}

fn io(e: std::io::Error) -> DbError {
    DbError::Corrupt(format!("photo store: {e}"))
}

#[async_trait]
impl BlobStore for FileBlobs {
    async fn put(&self, hash: &PhotoHash, bytes: &[u8]) -> Result<(), DbError> {
        let path = self.path(hash);
        if tokio::fs::try_exists(&path).await.unwrap_or(false) {
            return Ok(());
        }
        let dir = path.parent().unwrap_or(&self.root).to_owned();
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        // Written under a temporary name, then renamed: a crash never leaves half a photo under its hash.
        let tmp = dir.join(format!(".{}.{}", hash.as_str(), crate::auth::new_secret()));
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, hash: &PhotoHash) -> Result<Option<Vec<u8>>, DbError> {
        match tokio::fs::read(self.path(hash)).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(e)),
        }
    }

    async fn delete(&self, hash: &PhotoHash) -> Result<(), DbError> {
        match tokio::fs::remove_file(self.path(hash)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
            _ => Ok(()),
        }
    }

    fn describe(&self) -> String {
        format!("files in {}", self.root.display())
    }
}

/// The `blob_data` table of the database.
pub struct DatabaseBlobs {
    store: Arc<dyn Store>,
}

impl DatabaseBlobs {
    /// The store in `store`'s database.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }
}

#[async_trait]
impl BlobStore for DatabaseBlobs {
    async fn put(&self, hash: &PhotoHash, bytes: &[u8]) -> Result<(), DbError> {
        self.store.put_blob_data(hash, bytes).await
    }

    async fn get(&self, hash: &PhotoHash) -> Result<Option<Vec<u8>>, DbError> {
        self.store.fetch_blob_data(hash).await
    }

    async fn delete(&self, hash: &PhotoHash) -> Result<(), DbError> {
        self.store.delete_blob_data(hash).await
    }

    fn describe(&self) -> String {
        format!("the {} database (table blob_data)", self.store.backend())
    }
}

/// The store for a deployment: `dir` if given; otherwise a folder beside a file-backed SQLite database, or
/// the database itself (PostgreSQL, in-memory SQLite).
pub fn open(database_url: &str, dir: Option<PathBuf>, store: Arc<dyn Store>) -> Arc<dyn BlobStore> {
    if let Some(dir) = dir {
        return Arc::new(FileBlobs::new(dir));
    }
    match sqlite_file(database_url) {
        Some(file) => {
            let mut folder = file.into_os_string();
            folder.push(".photos");
            Arc::new(FileBlobs::new(folder))
        }
        None => Arc::new(DatabaseBlobs::new(store)),
    }
}

/// The file of a `sqlite://path` (or bare path) URL; `None` for PostgreSQL and in-memory SQLite.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    if url.starts_with("postgres://")
        || url.starts_with("postgresql://")
        || url.contains(":memory:")
    {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    (!path.is_empty()).then(|| PathBuf::from(path))
}

/// What one sweep did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Uploads removed.
    pub removed: usize,
}

/// Removes uploads made before `before` (ms) that no document references, a batch at a time.
///
/// # Errors
/// [`DbError`] if the database or the store fails; what was removed until then stays removed.
pub async fn sweep(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    before: i64,
) -> Result<Swept, DbError> {
    let mut swept = Swept::default();
    loop {
        let batch = store.fetch_unreferenced_blobs(before, 100).await?;
        if batch.is_empty() {
            return Ok(swept);
        }
        let mut progressed = false;
        for hash in batch {
            // The record goes first, and only if still unreferenced: a document that references the photo
            // meanwhile keeps it, and bytes without a record are never served.
            if store.forget_unreferenced_blob(&hash, before).await? {
                blobs.delete(&hash).await?;
                swept.removed += 1;
                progressed = true;
            }
        }
        if !progressed {
            return Ok(swept);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;
    use std::path::PathBuf;

    #[test]
    fn the_default_store_sits_beside_a_sqlite_file_only() {
        assert_eq!(
            sqlite_file("sqlite://zhigai.db"),
            Some(PathBuf::from("zhigai.db"))
        );
        assert_eq!(
            sqlite_file("sqlite:///var/lib/z.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/z.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}

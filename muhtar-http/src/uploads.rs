//! Uploaded photos and documents, kept by an [`UploadStore`]: [`FsUploads`] (the default)
//! keeps them as content-addressed files under a directory,
//! `<dir>/<first two hex digits>/<sha256>`, named from the content only; a portal plugs in
//! its own store (an object store) and may give clients the files' own URLs
//! ([`UploadStore::public_url`], Open311's `media_url`).
//!
//! A file arrives while the submission is read ([`receive`]): it waits in the store's
//! spool (a temporary `.upload-*` file for [`FsUploads`], memory for a store without a
//! spool directory), is checked (type by content, size) and hashed. It is stored under
//! its hash only while its submission holds the hash's lock ([`commit_with`]): if the
//! submission then fails, the files it stored are removed before any other submission
//! of the same bytes can commit a reference to them, so a file an acknowledged request
//! refers to is never removed. An attachment is bound to the submission that uploaded it
//! ([`bind`]): a hash cannot be borrowed from someone else's upload. Temporary files left
//! by a killed server are removed at start-up ([`remove_stale_temporaries`]).

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use axum::body::Bytes;
use muhtar_core::request::Attachment;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// Largest photo or document accepted, in bytes.
pub const MAX_UPLOAD: u64 = 10 * 1024 * 1024;

/// Prefix of the temporary files of uploads in progress.
pub const TEMPORARY_PREFIX: &str = ".upload-";

/// What the API accepts, said when a file is refused for its type.
pub const ACCEPTED_TYPES: &str = "only JPEG, PNG, WebP images and PDF documents are accepted";

/// Why a file cannot be received, stored or read. The HTTP status follows the variant
/// ([`crate::error`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// No room left (the disk, a quota, the bucket): 507, nothing is stored.
    #[error("no space left for uploads: {0}")]
    Full(String),
    /// The file is larger than the store or the API takes: 413.
    #[error("a file may have at most {max} bytes")]
    TooLarge {
        /// The largest size accepted, in bytes.
        max: u64,
    },
    /// The file is empty: 422.
    #[error("the file is empty")]
    Empty,
    /// The file's type (by content) is not accepted: 415. Says what is.
    #[error("{0}")]
    BadType(String),
    /// The store cannot be reached now (an object store that does not answer): 503.
    #[error("the upload store is unavailable: {0}")]
    Unavailable(String),
    /// Any other failure of the store: 500, logged.
    #[error("upload store: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for UploadError {
    /// A full disk or quota is [`UploadError::Full`]; anything else [`UploadError::Io`].
    fn from(e: std::io::Error) -> Self {
        const ENOSPC: i32 = 28;
        const EDQUOT: i32 = 122;
        let full = matches!(
            e.kind(),
            ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge
        ) || matches!(e.raw_os_error(), Some(ENOSPC | EDQUOT));
        if full {
            UploadError::Full(e.to_string())
        } else {
            UploadError::Io(e)
        }
    }
}

/// Whether [`UploadStore::put`] stored the file or found it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    /// This call stored it: removed again ([`UploadStore::remove`]) if its submission
    /// fails.
    Created,
    /// It was there already (an earlier submission refers to it): it stays whatever
    /// happens to this submission.
    Existed,
}

/// A stored file, for serving.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The content.
    pub bytes: Bytes,
    /// Its media type.
    pub media_type: String,
}

/// The content of a received file, checked and hashed, waiting to be stored: a temporary
/// file in the store's spool directory (removed when this is dropped, unless the store
/// moved it) or bytes in memory.
#[derive(Debug)]
pub struct Content {
    spool: Spool,
    len: u64,
}

#[derive(Debug)]
enum Spool {
    File(TempFile),
    Memory(Bytes),
}

/// A temporary `.upload-*` file, removed when dropped (unless moved away meanwhile).
#[derive(Debug)]
struct TempFile(PathBuf);

impl TempFile {
    /// A new name in `dir` (the file is not created).
    fn name_in(dir: &Path) -> Result<TempFile, UploadError> {
        let mut rnd = [0u8; 16];
        getrandom::getrandom(&mut rnd)
            .map_err(|e| UploadError::Io(std::io::Error::other(e.to_string())))?;
        Ok(TempFile(
            dir.join(format!("{TEMPORARY_PREFIX}{}", hex::encode(rnd))),
        ))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // Gone already once moved into place.
        let _ = std::fs::remove_file(&self.0);
    }
}

impl Content {
    /// Content held in memory.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Content {
        let bytes = bytes.into();
        Content {
            len: bytes.len() as u64,
            spool: Spool::Memory(bytes),
        }
    }

    /// Its size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether it is empty (a received file never is).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The bytes (read from the spool file if spooled).
    pub async fn bytes(&self) -> Result<Bytes, UploadError> {
        match &self.spool {
            Spool::Memory(b) => Ok(b.clone()),
            Spool::File(t) => Ok(tokio::fs::read(&t.0).await?.into()),
        }
    }

    /// The spool file, if the content is in one.
    pub fn spool_file(&self) -> Option<&Path> {
        match &self.spool {
            Spool::File(t) => Some(&t.0),
            Spool::Memory(_) => None,
        }
    }
}

/// Where uploaded files are kept. The HTTP layer checks every file (type by content,
/// size, not empty) and hashes it before storing; it holds the file's lock from
/// [`put`](UploadStore::put) until its submission is committed or has failed
/// ([`commit_with`]), so a store needs no locking of its own within one process.
#[async_trait::async_trait]
pub trait UploadStore: Send + Sync {
    /// A directory where files being received wait (temporary `.upload-*` files), or
    /// `None` (the default) to keep them in memory, at most [`MAX_UPLOAD`] bytes each.
    fn spool_dir(&self) -> Option<&Path> {
        None
    }

    /// Stores `content` under `key` (its SHA-256, lowercase hex), of type `media_type`
    /// (both checked), unless a file is there already. [`Put::Created`] only when this
    /// call stored it; a store that cannot tell says [`Put::Existed`] (the file then
    /// stays if the submission fails).
    async fn put(&self, key: &str, media_type: &str, content: &Content)
        -> Result<Put, UploadError>;

    /// The file under `key`, or `None` if there is none (or `key` is no address).
    async fn get(&self, key: &str) -> Result<Option<StoredFile>, UploadError>;

    /// Removes the file under `key` that [`put`](UploadStore::put) created for a
    /// submission that then failed: no acknowledged request refers to it. Nothing there
    /// is not an error.
    async fn remove(&self, key: &str) -> Result<(), UploadError>;

    /// A URL clients fetch the file from themselves (an object store's public or signed
    /// URL): Open311's `media_url`. `base` is the URL of the router's root as the client
    /// reached it (the prefix it is mounted under, e.g. `/mbs`; empty at the root), for
    /// a store whose files a route of the host serves. `None` (the default): the file is
    /// served only through the API, to those who may see its request.
    fn public_url(&self, key: &str, base: &str) -> Option<String> {
        let _ = (key, base);
        None
    }
}

/// The media type of a file from its first bytes (magic numbers), if accepted.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if head.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Where [`FsUploads`] stores an upload with this hash: `<dir>/<first two hex digits>/<sha256>`.
/// The name comes from the content only, never from the client.
pub fn upload_path(dir: &Path, sha256: &str) -> Option<PathBuf> {
    if sha256.len() != 64
        || !sha256
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    Some(dir.join(&sha256[..2]).join(sha256))
}

/// A file received with a submission: what the request will record, and its content.
#[derive(Debug)]
pub struct Received {
    /// What the request will record.
    pub attachment: Attachment,
    /// The content, checked.
    pub content: Content,
}

/// Where a file is written while it arrives.
enum Sink {
    File(tokio::fs::File),
    Memory(Vec<u8>),
}

/// Receives one multipart field into the store's spool while hashing and counting it, and
/// checks its type by content and its size. Nothing stays on an error.
pub async fn receive(
    store: &dyn UploadStore,
    field: &mut axum::extract::multipart::Field<'_>,
    chunk_error: fn(axum::extract::multipart::MultipartError) -> ApiError,
) -> ApiResult<Received> {
    use tokio::io::AsyncWriteExt;
    let file_name = field.file_name().map(|n| {
        n.chars()
            .filter(|c| !c.is_control())
            .take(255)
            .collect::<String>()
    });
    let (mut sink, mut content) = match store.spool_dir() {
        Some(dir) => {
            let tmp = TempFile::name_in(dir)?;
            // Dropping `tmp` (with `content`) removes the file on any error below.
            let file = tokio::fs::File::create(&tmp.0)
                .await
                .map_err(UploadError::from)?;
            let content = Content {
                spool: Spool::File(tmp),
                len: 0,
            };
            (Sink::File(file), content)
        }
        None => (Sink::Memory(Vec::new()), Content::from_bytes(Bytes::new())),
    };
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(chunk_error)? {
        size += chunk.len() as u64;
        if size > MAX_UPLOAD {
            return Err(UploadError::TooLarge { max: MAX_UPLOAD }.into());
        }
        if head.len() < 16 {
            head.extend(chunk.iter().take(16 - head.len()));
        }
        hasher.update(&chunk);
        match &mut sink {
            Sink::File(f) => f.write_all(&chunk).await.map_err(UploadError::from)?,
            Sink::Memory(v) => v.extend_from_slice(&chunk),
        }
    }
    match sink {
        Sink::File(mut f) => {
            f.flush().await.map_err(UploadError::from)?;
            f.sync_all().await.map_err(UploadError::from)?;
        }
        Sink::Memory(v) => content.spool = Spool::Memory(v.into()),
    }
    content.len = size;
    if size == 0 {
        return Err(UploadError::Empty.into());
    }
    let media_type = sniff(&head).ok_or_else(|| UploadError::BadType(ACCEPTED_TYPES.into()))?;
    Ok(Received {
        attachment: Attachment {
            media_type: media_type.to_owned(),
            size,
            sha256: hex::encode(hasher.finalize()),
            file_name,
        },
        content,
    })
}

/// The error for an attachment listed by hash but not uploaded with the submission:
/// the same whether a file with that hash exists or not.
pub fn not_uploaded_here() -> ApiError {
    ApiError::invalid(
        "attachments.sha256",
        "no file with this SHA-256 was uploaded with this submission: attach the file itself \
         (multipart part `photo`)",
    )
}

/// The attachments of a submission: the files uploaded with it, each once. `listed`
/// (the `attachments` of its JSON) may only name those files; a hash not among them is
/// refused with [`not_uploaded_here`] (never "exists elsewhere").
pub fn bind(listed: &[String], files: &[Received]) -> ApiResult<Vec<Attachment>> {
    if listed
        .iter()
        .any(|h| !files.iter().any(|f| &f.attachment.sha256 == h))
    {
        return Err(not_uploaded_here());
    }
    let mut out: Vec<Attachment> = Vec::new();
    for f in files {
        if !out.iter().any(|a| a.sha256 == f.attachment.sha256) {
            out.push(f.attachment.clone());
        }
    }
    Ok(out)
}

/// The locks of the files being stored, by hash: one table for the process (the same
/// bytes stored into two stores at once merely wait for each other).
static LOCKS: LazyLock<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>> =
    LazyLock::new(Mutex::default);

fn lock_of(sha256: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut m = LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    m.entry(sha256.to_owned()).or_default().clone()
}

fn release(hashes: &[String]) {
    let mut m = LOCKS.lock().unwrap_or_else(|p| p.into_inner());
    for h in hashes {
        if m.get(h).is_some_and(|l| Arc::strong_count(l) == 1) {
            m.remove(h);
        }
    }
}

/// Stores `files` and runs `commit`, holding the lock of each file (in hash order)
/// throughout; if `commit` fails, the files this call stored (those that were not there
/// before, [`Put::Created`]) are removed before the locks are released. A file already
/// there was referenced before, or is being stored by a submission that holds its lock:
/// it is never removed here.
///
/// Generic over the error so that the web form can keep core's own error (the REST API
/// uses [`ApiError`]).
pub async fn commit_with<T, E: From<UploadError>>(
    store: &dyn UploadStore,
    files: Vec<Received>,
    commit: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let mut hashes: Vec<String> = files.iter().map(|f| f.attachment.sha256.clone()).collect();
    hashes.sort();
    hashes.dedup();
    let locks: Vec<_> = hashes.iter().map(|h| lock_of(h)).collect();
    let mut guards = Vec::with_capacity(locks.len());
    for l in &locks {
        guards.push(l.lock().await);
    }
    let result = async {
        let mut placed: Vec<&str> = Vec::new();
        let outcome = async {
            for f in &files {
                let a = &f.attachment;
                if store.put(&a.sha256, &a.media_type, &f.content).await? == Put::Created {
                    placed.push(&a.sha256);
                }
            }
            commit.await
        }
        .await;
        if outcome.is_err() {
            // Nothing half-written: the files this call stored go again.
            for key in &placed {
                if let Err(e) = store.remove(key).await {
                    tracing::warn!(error = %e, "uploads: cannot remove a file of a failed submission");
                }
            }
        }
        outcome
    }
    .await;
    drop(files);
    drop(guards);
    drop(locks);
    release(&hashes);
    result
}

/// Open311's `media_url` of a request: the public URL the store gives for its first
/// attachment that has one (images before documents), or else the link to a photo held
/// elsewhere the request was submitted with.
pub fn media_url(
    store: &dyn UploadStore,
    base: &str,
    files: &[muhtar_core::public::PublicFile],
    linked: Option<&str>,
) -> Option<String> {
    let images = files.iter().filter(|a| a.media_type.starts_with("image/"));
    let others = files.iter().filter(|a| !a.media_type.starts_with("image/"));
    images
        .chain(others)
        .find_map(|a| store.public_url(&a.sha256, base))
        .or_else(|| linked.map(str::to_owned))
}

/// The default store: content-addressed files under a directory,
/// `<dir>/<first two hex digits>/<sha256>` ([`upload_path`]), received into temporary
/// `.upload-*` files in the same directory and moved into place (never half-written
/// under their address). The directory belongs to one server: run
/// [`remove_stale_temporaries`] on it at start-up.
#[derive(Debug, Clone)]
pub struct FsUploads {
    dir: PathBuf,
}

impl FsUploads {
    /// The uploads under `dir` (which must exist).
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file with this hash is, if the hash is well-formed.
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        upload_path(&self.dir, sha256)
    }

    fn bad_key(key: &str) -> UploadError {
        UploadError::Io(std::io::Error::new(
            ErrorKind::InvalidInput,
            format!("not a SHA-256: {key:?}"),
        ))
    }
}

#[async_trait::async_trait]
impl UploadStore for FsUploads {
    fn spool_dir(&self) -> Option<&Path> {
        Some(&self.dir)
    }

    async fn put(
        &self,
        key: &str,
        _media_type: &str,
        content: &Content,
    ) -> Result<Put, UploadError> {
        let dest = self.path(key).ok_or_else(|| Self::bad_key(key))?;
        if tokio::fs::try_exists(&dest).await? {
            return Ok(Put::Existed);
        }
        if let Some(parent) = dest.parent() {
            tokio::fs::create_dir_all(parent).await?;
        }
        match content.spool_file() {
            // Received here: moved into place.
            Some(tmp) if tmp.parent() == Some(self.dir.as_path()) => {
                tokio::fs::rename(tmp, &dest).await?;
            }
            // Received elsewhere: written to a temporary file here, then moved.
            _ => {
                use tokio::io::AsyncWriteExt;
                let bytes = content.bytes().await?;
                let tmp = TempFile::name_in(&self.dir)?;
                let mut f = tokio::fs::File::create(&tmp.0).await?;
                f.write_all(&bytes).await?;
                f.sync_all().await?;
                drop(f);
                tokio::fs::rename(&tmp.0, &dest).await?;
            }
        }
        Ok(Put::Created)
    }

    async fn get(&self, key: &str) -> Result<Option<StoredFile>, UploadError> {
        let Some(path) = self.path(key) else {
            return Ok(None);
        };
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(StoredFile {
                media_type: sniff(&bytes)
                    .unwrap_or("application/octet-stream")
                    .to_owned(),
                bytes: bytes.into(),
            })),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn remove(&self, key: &str) -> Result<(), UploadError> {
        let Some(path) = self.path(key) else {
            return Ok(());
        };
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Removes the temporary files of uploads cut off by a crash (`.upload-*` directly in
/// `dir`); the number removed. Run at start-up, before the server accepts uploads: the
/// uploads directory belongs to one `muhtar serve`.
pub fn remove_stale_temporaries(dir: &Path) -> std::io::Result<usize> {
    let mut n = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_name()
            .to_string_lossy()
            .starts_with(TEMPORARY_PREFIX)
            && e.file_type()?.is_file()
        {
            std::fs::remove_file(e.path())?;
            n += 1;
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_go_and_stored_files_stay() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(".upload-00ff"), b"x").unwrap();
        std::fs::write(d.path().join(".upload-11ee"), b"x").unwrap();
        std::fs::create_dir(d.path().join("ab")).unwrap();
        std::fs::write(d.path().join("ab").join("abcd"), b"x").unwrap();
        assert_eq!(remove_stale_temporaries(d.path()).unwrap(), 2);
        assert!(d.path().join("ab").join("abcd").exists());
        assert_eq!(remove_stale_temporaries(d.path()).unwrap(), 0);
    }

    #[test]
    fn a_full_disk_is_full_and_other_io_errors_are_not() {
        let e = UploadError::from(std::io::Error::from_raw_os_error(28));
        assert!(matches!(e, UploadError::Full(_)), "{e:?}");
        let e = UploadError::from(std::io::Error::from_raw_os_error(122));
        assert!(matches!(e, UploadError::Full(_)), "{e:?}");
        let e = UploadError::from(std::io::Error::from(ErrorKind::PermissionDenied));
        assert!(matches!(e, UploadError::Io(_)), "{e:?}");
    }
}

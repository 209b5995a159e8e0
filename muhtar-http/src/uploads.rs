//! Uploaded photos and documents: content-addressed files under the uploads directory,
//! `<dir>/<first two hex digits>/<sha256>`, named from the content only.
//!
//! A file arrives in a temporary `.upload-*` file ([`receive`]), is checked (type by
//! content, size) and hashed, and is moved to its address only while its submission
//! holds the file's lock ([`Uploads::commit_with`]): if the submission then fails, the
//! files it placed are removed before any other submission of the same bytes can commit
//! a reference to them, so a file an acknowledged request refers to is never removed.
//! An attachment is bound to the submission that uploaded it ([`bind`]): a hash cannot be
//! borrowed from someone else's upload. Temporary files left by a killed server are
//! removed at start-up ([`remove_stale_temporaries`]).

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use muhtar_core::request::Attachment;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};

/// Largest photo or document accepted, in bytes.
pub const MAX_UPLOAD: u64 = 10 * 1024 * 1024;

/// Prefix of the temporary files of uploads in progress.
pub const TEMPORARY_PREFIX: &str = ".upload-";

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

/// Where an upload with this hash is stored: `<dir>/<first two hex digits>/<sha256>`.
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

/// An I/O error of an upload: 507 when the disk (or the quota) is full, saying so in
/// Turkish and English; otherwise a logged 500.
pub fn io_error(e: std::io::Error) -> ApiError {
    const ENOSPC: i32 = 28;
    const EDQUOT: i32 = 122;
    let full = matches!(
        e.kind(),
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded | ErrorKind::FileTooLarge
    ) || matches!(e.raw_os_error(), Some(ENOSPC | EDQUOT));
    if full {
        tracing::warn!(error = %e, "uploads: the disk is full");
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "insufficient_storage",
            "Yüklenen dosyalar için diskte yer kalmadı; istek kaydedilmedi, daha sonra yeniden \
             deneyin. / No space left on the disk for uploads; the request was not stored, \
             try again later.",
        )
        .field("photo")
    } else {
        ApiError::internal(e)
    }
}

/// A file received with a submission, still in its temporary file (removed when dropped
/// unless placed).
#[derive(Debug)]
pub struct Received {
    /// What the request will record.
    pub attachment: Attachment,
    tmp: PathBuf,
}

impl Drop for Received {
    fn drop(&mut self) {
        // Gone already once placed.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Streams one multipart field to a temporary file in `dir` while hashing and counting it,
/// and checks its type by content and its size. Nothing stays on an error.
pub async fn receive(
    dir: &Path,
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
    let mut rnd = [0u8; 16];
    getrandom::getrandom(&mut rnd).map_err(ApiError::internal)?;
    let tmp = dir.join(format!("{TEMPORARY_PREFIX}{}", hex::encode(rnd)));
    let mut file = tokio::fs::File::create(&tmp).await.map_err(io_error)?;
    // From here on, dropping `received` removes the temporary file.
    let mut received = Received {
        attachment: Attachment {
            media_type: String::new(),
            size: 0,
            sha256: String::new(),
            file_name,
        },
        tmp,
    };
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    let mut head: Vec<u8> = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(chunk_error)? {
        size += chunk.len() as u64;
        if size > MAX_UPLOAD {
            return Err(
                ApiError::too_large(format!("a file may have at most {MAX_UPLOAD} bytes"))
                    .field("photo"),
            );
        }
        if head.len() < 16 {
            head.extend(chunk.iter().take(16 - head.len()));
        }
        hasher.update(&chunk);
        file.write_all(&chunk).await.map_err(io_error)?;
    }
    file.flush().await.map_err(io_error)?;
    file.sync_all().await.map_err(io_error)?;
    drop(file);
    if size == 0 {
        return Err(ApiError::invalid("photo", "the file is empty"));
    }
    let media_type = sniff(&head).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "only JPEG, PNG, WebP images and PDF documents are accepted",
        )
        .field("photo")
    })?;
    received.attachment.media_type = media_type.to_owned();
    received.attachment.size = size;
    received.attachment.sha256 = hex::encode(hasher.finalize());
    Ok(received)
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

/// The uploads directory and the locks of the files being placed in it.
#[derive(Debug)]
pub struct Uploads {
    dir: PathBuf,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Uploads {
    /// The uploads under `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            locks: Mutex::default(),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file with this hash is, if the hash is well-formed.
    pub fn path(&self, sha256: &str) -> Option<PathBuf> {
        upload_path(&self.dir, sha256)
    }

    fn lock_of(&self, sha256: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut m = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(sha256.to_owned()).or_default().clone()
    }

    fn release(&self, hashes: &[String]) {
        let mut m = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        for h in hashes {
            if m.get(h).is_some_and(|l| Arc::strong_count(l) == 1) {
                m.remove(h);
            }
        }
    }

    /// Places `files` at their addresses and runs `commit`, holding the lock of each file
    /// (in hash order) throughout; if `commit` fails, the files this call placed (those
    /// that were not there before) are removed before the locks are released. A file
    /// already there was referenced before, or is being placed by a submission that holds
    /// its lock: it is never removed here.
    pub async fn commit_with<T>(
        &self,
        files: Vec<Received>,
        commit: impl std::future::Future<Output = ApiResult<T>>,
    ) -> ApiResult<T> {
        let mut hashes: Vec<String> = files.iter().map(|f| f.attachment.sha256.clone()).collect();
        hashes.sort();
        hashes.dedup();
        let locks: Vec<_> = hashes.iter().map(|h| self.lock_of(h)).collect();
        let mut guards = Vec::with_capacity(locks.len());
        for l in &locks {
            guards.push(l.lock().await);
        }
        let result = async {
            let mut placed = Vec::new();
            let outcome = async {
                for f in &files {
                    let dest = self
                        .path(&f.attachment.sha256)
                        .ok_or_else(|| ApiError::internal("bad hash"))?;
                    if tokio::fs::try_exists(&dest).await.map_err(io_error)? {
                        continue;
                    }
                    if let Some(parent) = dest.parent() {
                        tokio::fs::create_dir_all(parent).await.map_err(io_error)?;
                    }
                    tokio::fs::rename(&f.tmp, &dest).await.map_err(io_error)?;
                    placed.push(dest);
                }
                commit.await
            }
            .await;
            if outcome.is_err() {
                // Nothing half-written: the files this call placed go again.
                for p in &placed {
                    if let Err(e) = tokio::fs::remove_file(p).await {
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
        self.release(&hashes);
        result
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
    fn a_full_disk_is_507() {
        let e = io_error(std::io::Error::from_raw_os_error(28));
        assert_eq!(e.status, StatusCode::INSUFFICIENT_STORAGE);
        let e = io_error(std::io::Error::from(ErrorKind::PermissionDenied));
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}

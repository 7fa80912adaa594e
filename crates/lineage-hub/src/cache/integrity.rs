//! What keeps the cache private and honest: owner-only permissions on what the cache creates, and a
//! digest of every stored answer so that an edited or corrupted row reads as a miss, never as an answer.

use super::Entry;
use std::fs;
use std::io;
use std::path::Path;

/// Creates `dir` (and missing parents) readable by its owner only (0700 on Unix). An existing
/// directory is left as it is: it may be shared on purpose.
pub(super) fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)
}

/// Creates the database file owner-only (0600 on Unix) before SQLite opens it, and tightens an
/// existing one; SQLite gives its `-wal` and `-shm` files the database file's permissions.
pub(super) fn create_private_file(path: &Path) -> io::Result<()> {
    let mut o = fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let f = o.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if f.metadata()?.permissions().mode() & 0o077 != 0 {
            f.set_permissions(fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = f;
    Ok(())
}

/// SHA-256 (hex) over the row's key and every field that carries meaning; `fetched_at` is left out
/// because revalidation updates it in place (a wrong time only makes an answer stale or fresh).
pub(super) fn digest(key: &str, e: &Entry) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut field = |bytes: &[u8]| {
        ctx.update(&(bytes.len() as u64).to_le_bytes());
        ctx.update(bytes);
    };
    field(key.as_bytes());
    field(&e.status.to_le_bytes());
    for opt in [&e.etag, &e.location, &e.error] {
        match opt {
            Some(s) => field(format!("+{s}").as_bytes()),
            None => field(b"-"),
        }
    }
    field(&e.body);
    field(&[u8::from(e.authed)]);
    ctx.finish()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 over a synced row's key, `lastModified` and body (what the verdict reads); `synced_at`
/// is left out as `fetched_at` is. A row that does not match reads as missing or unknown.
pub(super) fn synced_digest(
    kind: i64,
    id: &str,
    last_modified: Option<&str>,
    body: &[u8],
) -> ring::digest::Digest {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut field = |bytes: &[u8]| {
        ctx.update(&(bytes.len() as u64).to_le_bytes());
        ctx.update(bytes);
    };
    field(&kind.to_le_bytes());
    field(id.as_bytes());
    match last_modified {
        Some(s) => field(format!("+{s}").as_bytes()),
        None => field(b"-"),
    }
    field(body);
    ctx.finish()
}

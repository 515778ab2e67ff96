//! Making a bundle from a directory tree.
//!
//! Output depends only on the tree's file contents, executable bits and names, the
//! version and the key: paths are sorted, every tar header has mtime 0, uid/gid 0 and no
//! user names, and the gzip header has no mtime or name. So the same system built twice
//! gives a byte-identical bundle (and digest). The archive is written beside `out` and
//! renamed into place only when complete, so `out` is never a partial bundle.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};
use tar::{Builder, EntryType, Header};

use crate::error::{io_err, BundleError};
use crate::index::{FileEntry, Index, FORMAT, MODE_EXEC, MODE_FILE};
use crate::path::{check_path, check_payload_path};
use crate::{keys, INDEX_NAME, SIG_NAME};

/// What [`create`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Number of payload files (not counting `BUNDLE.json`/`BUNDLE.sig`).
    pub files: usize,
    /// Payload bytes (sum of file sizes, uncompressed).
    pub bytes: u64,
    /// The version written into the index.
    pub version: String,
    /// SHA-256 of the whole `.tar.gz` file as written, lowercase hex: a transport-level
    /// identity for uploads and downloads (the *signed* identity is the index).
    pub digest_hex: String,
}

/// Bundles every regular file under `src_dir` into the `.tar.gz` at `out`, signed by `key`.
///
/// Only regular files and directories may be in `src_dir`: a symlink, socket, FIFO or
/// device is an error naming it (following a symlink could bundle files from outside the
/// tree). Empty directories are not recorded. A file with any executable bit gets mode
/// 0o755, any other 0o644. `out` is replaced if it exists.
pub fn create(
    src_dir: &Path,
    out: &Path,
    version: &str,
    key: &SigningKey,
) -> Result<Summary, BundleError> {
    create_with_progress(src_dir, out, version, key, |_, _| {})
}

/// [`create`], calling `on_file(path, size)` after each payload file is written.
pub fn create_with_progress(
    src_dir: &Path,
    out: &Path,
    version: &str,
    key: &SigningKey,
    on_file: impl FnMut(&str, u64),
) -> Result<Summary, BundleError> {
    create_marked(src_dir, out, version, false, key, on_file)
}

/// [`create_with_progress`], marking the bundle a deliberate rollback when `rollback`
/// (see [`Index::rollback`]): devices then take it even over a newer version.
pub fn create_marked(
    src_dir: &Path,
    out: &Path,
    version: &str,
    rollback: bool,
    key: &SigningKey,
    mut on_file: impl FnMut(&str, u64),
) -> Result<Summary, BundleError> {
    if let Err(problem) = kos_version::check_version(version) {
        return Err(BundleError::BadVersion {
            version: version.to_owned(),
            problem,
        });
    }
    let mut sources = Vec::new();
    walk(src_dir, "", &mut sources)?;
    // Byte order of the whole path, which is what the index requires.
    sources.sort();
    let mut files = Vec::with_capacity(sources.len());
    for (rel, abs) in &sources {
        files.push(describe(rel, abs)?);
    }
    let index = Index {
        format: FORMAT,
        version: version.to_owned(),
        files,
        rollback,
    };
    // Cannot fail for a tree read from disk, but a bundle `create` makes must be one
    // `unpack_verified` accepts, so check rather than assume.
    index.validate().map_err(BundleError::BadIndex)?;
    let index_bytes = index.to_bytes();
    let sig = keys::sign_index(key, &index_bytes);

    let tmp = partial_path(out);
    let written = write_archive(&tmp, &index_bytes, &sig, &index, &sources, &mut on_file).and_then(
        |digest| {
            fs::rename(&tmp, out)
                .map(|()| digest)
                .map_err(io_err(format!("renaming to {}", out.display())))
        },
    );
    let digest = match written {
        Ok(digest) => digest,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    Ok(Summary {
        files: index.files.len(),
        bytes: index.total_bytes().unwrap_or(u64::MAX),
        version: index.version,
        digest_hex: digest,
    })
}

/// `out` with `.partial` appended to its file name.
fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    out.with_file_name(name)
}

/// Collects `(bundle path, disk path)` for every regular file under `dir`.
fn walk(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> Result<(), BundleError> {
    let read_err = || io_err(format!("reading {}", dir.display()));
    for item in fs::read_dir(dir).map_err(read_err())? {
        let item = item.map_err(read_err())?;
        let abs = item.path();
        let Some(name) = item.file_name().to_str().map(str::to_owned) else {
            return Err(BundleError::SourceBadName {
                path: abs,
                problem: crate::error::PathProblem::NotUtf8,
            });
        };
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        // `DirEntry::file_type` does not follow symlinks, which is the point.
        let kind = item
            .file_type()
            .map_err(io_err(format!("reading {}", abs.display())))?;
        if kind.is_dir() {
            check_path(&rel).map_err(|problem| BundleError::SourceBadName {
                path: abs.clone(),
                problem,
            })?;
            walk(&abs, &rel, out)?;
        } else if kind.is_file() {
            check_payload_path(&rel).map_err(|problem| BundleError::SourceBadName {
                path: abs.clone(),
                problem,
            })?;
            out.push((rel, abs));
        } else {
            return Err(BundleError::SourceSpecialFile {
                path: abs,
                kind: special_kind(&kind),
            });
        }
    }
    Ok(())
}

#[cfg(unix)]
fn special_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_symlink() {
        "symlink"
    } else if kind.is_fifo() {
        "FIFO"
    } else if kind.is_socket() {
        "socket"
    } else if kind.is_char_device() {
        "character device"
    } else if kind.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special_kind(kind: &fs::FileType) -> &'static str {
    if kind.is_symlink() {
        "symlink"
    } else {
        "special file"
    }
}

/// Hashes one source file into its index entry.
fn describe(rel: &str, abs: &Path) -> Result<FileEntry, BundleError> {
    let file = File::open(abs).map_err(io_err(format!("reading {}", abs.display())))?;
    let meta = file
        .metadata()
        .map_err(io_err(format!("reading {}", abs.display())))?;
    let mut reader = HashingReader::new(file);
    io::copy(&mut reader, &mut io::sink()).map_err(io_err(format!("reading {}", abs.display())))?;
    let (size, sha256) = reader.finish();
    Ok(FileEntry {
        path: rel.to_owned(),
        size,
        sha256,
        mode: mode_of(&meta),
    })
}

#[cfg(unix)]
fn mode_of(meta: &fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    if meta.permissions().mode() & 0o111 != 0 {
        MODE_EXEC
    } else {
        MODE_FILE
    }
}

#[cfg(not(unix))]
fn mode_of(_meta: &fs::Metadata) -> u32 {
    MODE_FILE
}

/// Writes the archive to `path`; returns the SHA-256 (hex) of the file.
fn write_archive(
    path: &Path,
    index_bytes: &[u8],
    sig: &[u8],
    index: &Index,
    sources: &[(String, PathBuf)],
    on_file: &mut impl FnMut(&str, u64),
) -> Result<String, BundleError> {
    let write_err = || io_err(format!("writing {}", path.display()));
    let file = File::create(path).map_err(write_err())?;
    // `GzEncoder::new` writes a header with mtime 0 and no file name: deterministic.
    let gz = GzEncoder::new(
        HashingWriter::new(BufWriter::new(file)),
        Compression::default(),
    );
    let mut tar = Builder::new(gz);
    append(
        &mut tar,
        INDEX_NAME,
        MODE_FILE,
        index_bytes.len() as u64,
        index_bytes,
    )
    .map_err(write_err())?;
    append(&mut tar, SIG_NAME, MODE_FILE, sig.len() as u64, sig).map_err(write_err())?;
    for (entry, (_, abs)) in index.files.iter().zip(sources) {
        let read_err = || io_err(format!("reading {}", abs.display()));
        let src = File::open(abs).map_err(read_err())?;
        // Hash again while copying: a file changed since it was indexed must not produce
        // a bundle whose index lies.
        let mut reader = HashingReader::new(src.take(entry.size));
        append(&mut tar, &entry.path, entry.mode, entry.size, &mut reader).map_err(write_err())?;
        let (size, sha256) = reader.finish();
        if size != entry.size || sha256 != entry.sha256 {
            return Err(read_err()(io::Error::other(
                "file changed while being bundled",
            )));
        }
        on_file(&entry.path, entry.size);
    }
    let gz = tar.into_inner().map_err(write_err())?;
    let hashing = gz.finish().map_err(write_err())?;
    let (buffered, digest) = hashing.finish();
    let file = buffered
        .into_inner()
        .map_err(|e| write_err()(e.into_error()))?;
    file.sync_all().map_err(write_err())?;
    Ok(hex::encode(digest))
}

/// Appends one regular-file entry with a deterministic header.
fn append<W: Write>(
    tar: &mut Builder<W>,
    path: &str,
    mode: u32,
    size: u64,
    data: impl Read,
) -> io::Result<()> {
    let mut header = Header::new_gnu();
    header.set_entry_type(EntryType::Regular);
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    // Sets the path (with a GNU long-name record past 100 bytes) and the checksum.
    tar.append_data(&mut header, path, data)
}

/// Counts and hashes what is read through it.
struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    count: u64,
}

impl<R> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            count: 0,
        }
    }

    fn finish(self) -> (u64, [u8; 32]) {
        (self.count, self.hasher.finalize().into())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// Hashes what is written through it (the compressed bundle, for `digest_hex`).
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn finish(self) -> (W, [u8; 32]) {
        (self.inner, self.hasher.finalize().into())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

//! The reading side of the container, shared by [`crate::read_index`] and
//! [`crate::unpack_verified`]: gzip + tar with the checks the `tar` crate does not make.
//!
//! The `tar` crate is lenient in ways a verifier cannot be: it ends the archive silently
//! at EOF on a block boundary or at the first zero block, hands out short entries when
//! the data runs out, and buffers pax/GNU long-name records in memory whatever their
//! size. So: every entry's bytes are counted against its size, [`finish`] insists on the
//! two-zero-block end marker, a valid gzip trailer and nothing after it, and all
//! decompressed bytes pass through a [`Budget`] so no part of the stream (payload,
//! padding, extension records) can expand past what the index justifies.

use std::cell::Cell;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use flate2::bufread::GzDecoder;
use tar::{Archive, Entries, Entry, EntryType};

use crate::error::{io_err, BundleError, PathProblem};
use crate::keys::SIG_FILE_LEN;
use crate::{INDEX_NAME, SIG_NAME};

/// Largest `BUNDLE.json` accepted (about 80 000 files at typical path lengths). The index
/// is read into memory before it can be verified, so it needs a bound of its own.
pub const MAX_INDEX_BYTES: u64 = 16 << 20;

/// Decompressed bytes allowed before the index is verified: the index, the signature and
/// their headers (with room for pax/long-name records).
pub(crate) const HEAD_BUDGET: u64 = MAX_INDEX_BYTES + (64 << 10);

/// Decompressed bytes allowed per payload entry beyond its content: header, padding and
/// a GNU long-name or pax record (whose size scales with the path, added separately).
pub(crate) const ENTRY_OVERHEAD: u64 = 4 << 10;

/// Allowed zero padding after the end marker (GNU tar pads to 10 KiB records; `create`
/// writes just the 1 KiB marker).
pub(crate) const TRAILER_ALLOWANCE: u64 = 1 << 20;

const BLOCK: u64 = 512;

/// How many more decompressed bytes may be read; shared between the reader and the code
/// that raises it once the index has been verified.
#[derive(Debug)]
pub(crate) struct Budget {
    remaining: Cell<u64>,
    exceeded: Cell<bool>,
    total: Cell<u64>,
}

impl Budget {
    /// From now on allows exactly `bytes` more to be read. Whatever was left of the
    /// earlier allowance is dropped, so an unused index allowance cannot pay for padding.
    pub(crate) fn reset(&self, bytes: u64) {
        self.remaining.set(bytes);
        self.total.set(bytes);
    }
}

/// A reader that fails once its [`Budget`] is spent (rather than returning EOF, which
/// would read as a shorter archive).
pub(crate) struct Budgeted<R> {
    inner: R,
    budget: Rc<Budget>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let remaining = self.budget.remaining.get();
        if remaining == 0 && !buf.is_empty() {
            // A real end of stream is fine; one more byte is over budget.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.budget.exceeded.set(true);
                    Err(io::Error::other("decompressed size budget exceeded"))
                }
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.budget.remaining.set(remaining - n as u64);
        Ok(n)
    }
}

/// The decompressed stream of a bundle file.
pub(crate) type Stream = Budgeted<GzDecoder<BufReader<File>>>;

/// Opens a bundle for reading with an initial decompression budget.
pub(crate) fn open(path: &Path, budget: u64) -> Result<(Archive<Stream>, Rc<Budget>), BundleError> {
    let file = File::open(path).map_err(io_err(format!("opening {}", path.display())))?;
    let budget = Rc::new(Budget {
        remaining: Cell::new(budget),
        exceeded: Cell::new(false),
        total: Cell::new(budget),
    });
    // `bufread::GzDecoder` (not `read::`) so that after the gzip member we can still see
    // whatever follows it in the file, and refuse it.
    let stream = Budgeted {
        inner: GzDecoder::new(BufReader::new(file)),
        budget: budget.clone(),
    };
    Ok((Archive::new(stream), budget))
}

/// The entry iterator of an opened bundle.
pub(crate) fn entries<'a>(
    archive: &'a mut Archive<Stream>,
    budget: &Budget,
) -> Result<Entries<'a, Stream>, BundleError> {
    archive.entries().map_err(stream_err(budget))
}

/// Classifies an error from the gzip/tar stream.
pub(crate) fn stream_err(budget: &Budget) -> impl Fn(io::Error) -> BundleError + '_ {
    move |e| {
        if budget.exceeded.get() {
            return BundleError::TooLarge {
                detail: format!(
                    "archive expands beyond the {} bytes allowed at this point",
                    budget.total.get()
                ),
            };
        }
        // flate2 reports a cut stream as UnexpectedEof; the tar crate's own short-read
        // errors are `Other` and only recognisable by their text.
        let text = e.to_string();
        if e.kind() == io::ErrorKind::UnexpectedEof
            || text.contains("EOF")
            || text.contains("entire block")
        {
            BundleError::Truncated { detail: text }
        } else {
            BundleError::Corrupt { detail: text }
        }
    }
}

/// The entry's path as UTF-8 (raw bytes, with GNU long-name/pax path applied).
pub(crate) fn entry_path<R: Read>(entry: &Entry<'_, R>) -> Result<String, BundleError> {
    let raw = entry.path_bytes();
    std::str::from_utf8(&raw)
        .map(str::to_owned)
        .map_err(|_| BundleError::BadPath {
            path: String::from_utf8_lossy(&raw).into_owned(),
            problem: PathProblem::NotUtf8,
        })
}

/// Refuses every entry type but regular files, naming the path.
pub(crate) fn check_entry_type<R: Read>(
    entry: &Entry<'_, R>,
    path: &str,
) -> Result<(), BundleError> {
    let target = || {
        entry
            .link_name_bytes()
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .unwrap_or_default()
    };
    let path = path.to_owned();
    Err(match entry.header().entry_type() {
        EntryType::Regular => return Ok(()),
        EntryType::Symlink => BundleError::Symlink {
            path,
            target: target(),
        },
        EntryType::Link => BundleError::HardLink {
            path,
            target: target(),
        },
        EntryType::Char => BundleError::SpecialFile {
            path,
            kind: "character device",
        },
        EntryType::Block => BundleError::SpecialFile {
            path,
            kind: "block device",
        },
        EntryType::Fifo => BundleError::SpecialFile { path, kind: "FIFO" },
        EntryType::Directory => BundleError::UnsupportedEntry {
            path,
            kind: "directory".into(),
        },
        EntryType::Continuous => BundleError::UnsupportedEntry {
            path,
            kind: "contiguous file".into(),
        },
        EntryType::GNUSparse => BundleError::UnsupportedEntry {
            path,
            kind: "GNU sparse file".into(),
        },
        EntryType::XGlobalHeader => BundleError::UnsupportedEntry {
            path,
            kind: "pax global header".into(),
        },
        other => BundleError::UnsupportedEntry {
            path,
            kind: format!("{:?}", char::from(other.as_byte())),
        },
    })
}

/// Reads a whole small entry, refusing it if the archive ends inside it.
fn read_small<R: Read>(
    entry: &mut Entry<'_, R>,
    path: &str,
    budget: &Budget,
) -> Result<Vec<u8>, BundleError> {
    let size = entry.size();
    if size > MAX_INDEX_BYTES {
        return Err(BundleError::TooLarge {
            detail: format!("{path}: {size} bytes, more than the {MAX_INDEX_BYTES} allowed"),
        });
    }
    let mut data = Vec::new();
    entry.read_to_end(&mut data).map_err(stream_err(budget))?;
    if data.len() as u64 != size {
        return Err(BundleError::Truncated {
            detail: format!(
                "{path}: archive ends inside the entry ({} of {size} bytes)",
                data.len()
            ),
        });
    }
    Ok(data)
}

/// The raw bytes of the two leading entries.
pub(crate) struct Head {
    pub index: Vec<u8>,
    pub sig: Vec<u8>,
}

/// Reads `BUNDLE.json` then `BUNDLE.sig`, which must be the first two entries, so a
/// device knows what it is about to receive before any payload byte.
pub(crate) fn read_head(
    entries: &mut Entries<'_, Stream>,
    budget: &Budget,
) -> Result<Head, BundleError> {
    let index = read_named(entries, budget, INDEX_NAME, |found| {
        BundleError::IndexMissing { found }
    })?;
    let sig = read_named(entries, budget, SIG_NAME, |found| {
        BundleError::SignatureMissing { found }
    })?;
    Ok(Head { index, sig })
}

fn read_named(
    entries: &mut Entries<'_, Stream>,
    budget: &Budget,
    name: &str,
    missing: fn(Option<String>) -> BundleError,
) -> Result<Vec<u8>, BundleError> {
    let mut entry = match entries.next() {
        None => return Err(missing(None)),
        Some(entry) => entry.map_err(stream_err(budget))?,
    };
    let path = entry_path(&entry)?;
    if path != name {
        return Err(missing(Some(path)));
    }
    check_entry_type(&entry, &path)?;
    let data = read_small(&mut entry, &path, budget)?;
    if name == SIG_NAME && data.len() != SIG_FILE_LEN {
        return Err(BundleError::SignatureMalformed {
            detail: format!("{} bytes, expected {SIG_FILE_LEN}", data.len()),
        });
    }
    Ok(data)
}

/// After the tar reader has reported the end: checks the end-of-archive marker, the gzip
/// trailer and that nothing follows.
pub(crate) fn finish(mut stream: Stream, budget: &Budget) -> Result<(), BundleError> {
    // The tar crate stops at EOF on a block boundary *or* after one zero block, without
    // saying which. Either way a complete archive still has at least one more zero block
    // here; a cut one has nothing.
    let mut zeros = 0u64;
    let mut buf = [0u8; 8192];
    loop {
        // Reading to the end also makes the gzip decoder check its CRC-32/length trailer.
        let n = stream.read(&mut buf).map_err(stream_err(budget))?;
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|b| *b != 0) {
            return Err(BundleError::Corrupt {
                detail: "data after the end-of-archive marker".into(),
            });
        }
        zeros += n as u64;
    }
    if zeros < BLOCK {
        return Err(BundleError::Truncated {
            detail: "no tar end-of-archive marker".into(),
        });
    }
    let mut file = stream.inner.into_inner();
    let rest = file
        .fill_buf()
        .map_err(io_err("reading after the gzip stream"))?;
    if !rest.is_empty() {
        return Err(BundleError::Corrupt {
            detail: "data after the gzip stream".into(),
        });
    }
    Ok(())
}

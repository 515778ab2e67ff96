//! The upload progress bar on stderr.

/// Bytes in MiB, for messages.
pub(super) fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// A reader that draws an upload progress bar on stderr, one step per 5 %.
pub(super) struct Progress<R> {
    inner: R,
    done: u64,
    size: u64,
    shown: Option<u64>,
}

impl<R: std::io::Read> std::io::Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        let step = (self.done * 20).checked_div(self.size).unwrap_or(20);
        if self.shown != Some(step) {
            self.shown = Some(step);
            let bar: String = (0..20).map(|i| if i < step { '#' } else { '.' }).collect();
            eprint!(
                "\r[{bar}] {:>3}% {:.1}/{:.1} MiB",
                step * 5,
                mib(self.done),
                mib(self.size)
            );
            if step == 20 {
                eprintln!();
            }
        }
        Ok(n)
    }
}

impl<R> Progress<R> {
    /// Counts `size` bytes read through `inner`.
    pub(super) fn new(inner: R, size: u64) -> Self {
        Progress {
            inner,
            done: 0,
            size,
            shown: None,
        }
    }
}

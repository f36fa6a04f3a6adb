//! A fixed-capacity text line: the kernel has no heap, and a partition's
//! console line or a health report must be built whole before it is printed
//! under the console lock.
use core::fmt;

/// Up to `N` bytes of UTF-8 text.
#[derive(Clone, Copy)]
pub struct Line<const N: usize> {
    bytes: [u8; N],
    len: usize,
    /// Bytes that did not fit (reported, never silently dropped).
    pub overflow: usize,
}

impl<const N: usize> Line<N> {
    pub const fn new() -> Self {
        Self { bytes: [0; N], len: 0, overflow: 0 }
    }

    pub fn as_str(&self) -> &str {
        // Only whole UTF-8 sequences or ASCII are ever pushed.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("<invalid UTF-8>")
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == N
    }

    pub fn clear(&mut self) {
        self.len = 0;
        self.overflow = 0;
    }

    /// Appends one byte of partition output: printable ASCII and tab are
    /// kept, anything else (control characters that could drive the
    /// terminal, bytes of other encodings) becomes `?`.
    pub fn push_sanitized(&mut self, byte: u8) {
        let b = if byte == b'\t' || (0x20..0x7f).contains(&byte) { byte } else { b'?' };
        if self.len < N {
            self.bytes[self.len] = b;
            self.len += 1;
        } else {
            self.overflow += 1;
        }
    }
}

impl<const N: usize> Default for Line<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for Line<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        push_str(&mut self.bytes, &mut self.len, &mut self.overflow, s);
        Ok(())
    }
}

/// [`Line::write_str`]'s work, for every `N` at once: one copy of it in
/// the kernel, not one per line length (six of them, 430 bytes each).
fn push_str(bytes: &mut [u8], len: &mut usize, overflow: &mut usize, s: &str) {
    // All of it fits (the usual case): one copy, the same bytes as the
    // character-by-character loop below, which a line that is filling up
    // needs (a character that does not fit is counted, a shorter one after
    // it may still fit). Every line of the boot report came this way, ~40
    // instructions a character.
    if let Some(to) = bytes.get_mut(*len..*len + s.len()) {
        to.copy_from_slice(s.as_bytes());
        *len += s.len();
        return;
    }
    for c in s.chars() {
        let mut buf = [0; 4];
        let enc = c.encode_utf8(&mut buf).as_bytes();
        if let Some(to) = bytes.get_mut(*len..*len + enc.len()) {
            to.copy_from_slice(enc);
            *len += enc.len();
        } else {
            *overflow += enc.len();
        }
    }
}

impl<const N: usize> fmt::Display for Line<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())?;
        if self.overflow > 0 {
            write!(f, "... ({} more bytes)", self.overflow)?;
        }
        Ok(())
    }
}

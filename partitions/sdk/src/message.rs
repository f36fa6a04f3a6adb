//! A fixed-size text buffer that formats without allocating and cuts an
//! over-long text on a UTF-8 character boundary, marking the cut.
//!
//! The panic handler and the exception vectors build their
//! RaiseApplicationError messages (ARINC 653 RAISE_APPLICATION_ERROR, at
//! most `MAX_ERROR_MESSAGE` bytes: the kernel refuses longer ones rather than
//! cut them) in one of these; partition code may do the same. Pure logic,
//! tested on the host.

use core::fmt;

/// What a cut text ends with, so a reader of the health log knows there
/// was more.
pub const TRUNCATED_MARK: &str = " [truncated]";

/// Up to `N` bytes of UTF-8 text, built with `write!`. Text that does not
/// fit is dropped whole characters at a time; [`MessageBuf::as_str`] then
/// ends with [`TRUNCATED_MARK`] (the text is cut further back to make room
/// for it).
pub struct MessageBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
    truncated: bool,
}

impl<const N: usize> MessageBuf<N> {
    /// An empty buffer.
    pub const fn new() -> Self {
        MessageBuf { bytes: [0; N], len: 0, truncated: false }
    }

    /// Whether some text did not fit.
    pub const fn is_truncated(&self) -> bool {
        self.truncated
    }

    /// The text. If some did not fit, the marker has replaced the end.
    pub fn as_str(&self) -> &str {
        // Only whole `&str` characters are ever copied in, so the first
        // `len` bytes are valid UTF-8; the fallback is unreachable.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }

    /// The text as bytes, for [`raise_application_error`](crate::raise_application_error)
    /// or [`console_write`](crate::console_write).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Appends as much of `s` as fits, whole characters only. Once some
    /// text has been dropped nothing more is taken, so the cut is at one
    /// place and the marker follows it.
    pub fn push_str(&mut self, s: &str) {
        if self.truncated {
            return;
        }
        let room = N - self.len;
        if s.len() <= room {
            self.bytes[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
            self.len += s.len();
            return;
        }
        let fit = floor_char_boundary(s, room);
        self.bytes[self.len..self.len + fit].copy_from_slice(&s.as_bytes()[..fit]);
        self.len += fit;
        self.mark_truncated();
    }

    /// Cuts the text back to leave room for the marker, on a character
    /// boundary, and appends the marker (or as much of it as `N` allows).
    fn mark_truncated(&mut self) {
        self.truncated = true;
        let keep = N.saturating_sub(TRUNCATED_MARK.len());
        if self.len > keep {
            // The buffer holds valid UTF-8, so a boundary search on it is
            // well defined.
            let text = core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("");
            self.len = floor_char_boundary(text, keep);
        }
        let mark = &TRUNCATED_MARK.as_bytes()[..TRUNCATED_MARK.len().min(N - self.len)];
        self.bytes[self.len..self.len + mark.len()].copy_from_slice(mark);
        self.len += mark.len();
    }
}

impl<const N: usize> Default for MessageBuf<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Write for MessageBuf<N> {
    /// Never fails: what does not fit is dropped and marked, so a long
    /// panic message still yields its beginning.
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// The largest `i <= max` that is a character boundary of `s`
/// (`str::floor_char_boundary`, which is not stable yet).
fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut i = max;
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::fmt::Write;

    #[test]
    fn short_text_is_kept_whole() {
        let mut m = MessageBuf::<16>::new();
        let b = 'b';
        write!(m, "a{b}c").unwrap();
        assert_eq!(m.as_str(), "abc");
        assert!(!m.is_truncated());
    }

    #[test]
    fn exactly_full_is_not_truncated() {
        let mut m = MessageBuf::<4>::new();
        m.push_str("ab");
        m.push_str("cd");
        assert_eq!(m.as_str(), "abcd");
        assert!(!m.is_truncated());
    }

    #[test]
    fn long_text_is_cut_and_marked() {
        let mut m = MessageBuf::<128>::new();
        for i in 0..100 {
            write!(m, "{i} ").unwrap();
        }
        assert!(m.is_truncated());
        assert!(m.as_str().ends_with(TRUNCATED_MARK));
        assert!(m.as_bytes().len() <= 128);
        assert!(m.as_str().starts_with("0 1 2 3"));
    }

    #[test]
    fn cut_never_splits_a_character() {
        // Every cut position against 2-, 3- and 4-byte characters.
        for n in 12..40 {
            for s in ["é", "€", "😀"] {
                let mut m = MessageBuf::<64>::new();
                m.push_str(&"x".repeat(n));
                for _ in 0..40 {
                    m.push_str(s);
                }
                assert!(m.as_bytes().len() <= 64);
                assert!(core::str::from_utf8(m.as_bytes()).is_ok());
                assert!(m.as_str().ends_with(TRUNCATED_MARK), "{:?}", m.as_str());
            }
        }
    }

    #[test]
    fn nothing_is_taken_after_the_cut() {
        let mut m = MessageBuf::<20>::new();
        m.push_str("0123456789abcdefghijXYZ");
        m.push_str("z");
        assert_eq!(m.as_str(), "01234567 [truncated]");
    }

    #[test]
    fn tiny_buffers_hold_part_of_the_mark() {
        let mut m = MessageBuf::<5>::new();
        m.push_str("0123456");
        assert_eq!(m.as_str(), " [tru");
    }
}

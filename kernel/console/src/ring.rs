//! A bounded ring of whole lines.

/// What the pump needs to print a line besides its text: its place in the
/// order all sources wrote their lines in (`seq`, wrapping), which thread
/// wrote it, on which core (kernel lines: thread 0).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Header {
    pub seq: u32,
    pub thread: u16,
    pub core: u8,
}

/// Bytes a line takes in the ring besides its text: seq (4), thread (2),
/// core (1), length (2).
pub const OVERHEAD: usize = 9;

/// Whole lines in `storage`, first in first out. A line that does not fit
/// is dropped whole and counted in `dropped_lines` / `dropped_bytes` (its
/// text length), for the pump to report. `S`: an array (a static ring) or
/// a slice of a pool.
pub struct Ring<S> {
    storage: S,
    /// Next byte to read, and bytes in use.
    head: usize,
    used: usize,
    pub dropped_lines: u32,
    pub dropped_bytes: u64,
}

impl<S> Ring<S> {
    /// An empty ring over `storage`.
    pub const fn new(storage: S) -> Self {
        Ring { storage, head: 0, used: 0, dropped_lines: 0, dropped_bytes: 0 }
    }
}

impl<S: AsRef<[u8]> + AsMut<[u8]>> Ring<S> {
    pub fn capacity(&self) -> usize {
        self.storage.as_ref().len()
    }

    pub fn is_empty(&self) -> bool {
        self.used == 0
    }

    /// Bytes in use (headers included).
    pub fn used(&self) -> usize {
        self.used
    }

    /// Appends one line (without its newline). `false`: no room, the line
    /// was dropped and counted. A line longer than `u16::MAX` never fits.
    pub fn push(&mut self, header: Header, text: &[u8]) -> bool {
        self.push_parts(header, &[text])
    }

    /// As [`Ring::push`], the line's text being `parts` one after another
    /// (a prefix and the text, without copying them together first).
    pub fn push_parts(&mut self, header: Header, parts: &[&[u8]]) -> bool {
        let text_len: usize = parts.iter().map(|p| p.len()).sum();
        let need = OVERHEAD + text_len;
        if text_len > usize::from(u16::MAX) || need > self.capacity() - self.used {
            self.dropped_lines = self.dropped_lines.saturating_add(1);
            self.dropped_bytes = self.dropped_bytes.saturating_add(text_len as u64);
            return false;
        }
        let len = text_len as u16;
        let mut at = (self.head + self.used) % self.capacity();
        let [s0, s1, s2, s3] = header.seq.to_le_bytes();
        let [t0, t1] = header.thread.to_le_bytes();
        let [l0, l1] = len.to_le_bytes();
        let head = [s0, s1, s2, s3, t0, t1, header.core, l0, l1];
        for &b in head.iter().chain(parts.iter().flat_map(|p| p.iter())) {
            self.storage.as_mut()[at] = b;
            at = (at + 1) % self.capacity();
        }
        self.used += need;
        true
    }

    /// The oldest line's header, if any.
    pub fn peek(&self) -> Option<Header> {
        if self.used == 0 {
            return None;
        }
        let at = |i: usize| self.storage.as_ref()[(self.head + i) % self.capacity()];
        Some(Header {
            seq: u32::from_le_bytes([at(0), at(1), at(2), at(3)]),
            thread: u16::from_le_bytes([at(4), at(5)]),
            core: at(6),
        })
    }

    /// The oldest line's text length, if any.
    pub fn peek_len(&self) -> Option<usize> {
        if self.used == 0 {
            return None;
        }
        let at = |i: usize| self.storage.as_ref()[(self.head + i) % self.capacity()];
        Some(usize::from(u16::from_le_bytes([at(7), at(8)])))
    }

    /// Takes the oldest line: its header, and its text copied into `out`
    /// (a text longer than `out` is cut there; the returned length is the
    /// whole line's, so the caller can tell).
    pub fn pop(&mut self, out: &mut [u8]) -> Option<(Header, usize)> {
        if self.used == 0 {
            return None;
        }
        let mut head = [0u8; OVERHEAD];
        for (i, b) in head.iter_mut().enumerate() {
            *b = self.storage.as_ref()[(self.head + i) % self.capacity()];
        }
        let header = Header {
            seq: u32::from_le_bytes([head[0], head[1], head[2], head[3]]),
            thread: u16::from_le_bytes([head[4], head[5]]),
            core: head[6],
        };
        let len = usize::from(u16::from_le_bytes([head[7], head[8]]));
        for (i, b) in out.iter_mut().take(len).enumerate() {
            *b = self.storage.as_ref()[(self.head + OVERHEAD + i) % self.capacity()];
        }
        self.head = (self.head + OVERHEAD + len) % self.capacity();
        self.used -= OVERHEAD + len;
        Some((header, len))
    }

    /// The drop counts since the last call, reset: `(lines, bytes)`.
    pub fn take_dropped(&mut self) -> Option<(u32, u64)> {
        if self.dropped_lines == 0 {
            return None;
        }
        let d = (self.dropped_lines, self.dropped_bytes);
        self.dropped_lines = 0;
        self.dropped_bytes = 0;
        Some(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_come_out_whole_and_in_order_across_the_wrap() {
        let mut storage = [0u8; 48];
        let mut ring = Ring::new(&mut storage[..]);
        let mut out = [0u8; 64];
        for round in 0..20u16 {
            let text = [b'a' + (round % 26) as u8; 7];
            let a = Header { seq: u32::MAX - u32::from(round), thread: round, core: 3 };
            let b = Header { seq: u32::from(round), thread: round + 1, core: 1 };
            assert!(ring.push(a, &text));
            assert!(ring.push(b, b"xy"));
            assert_eq!(ring.peek(), Some(a));
            assert_eq!(ring.peek_len(), Some(7));
            assert_eq!(ring.pop(&mut out), Some((a, 7)));
            assert_eq!(&out[..7], &text);
            assert_eq!(ring.pop(&mut out), Some((b, 2)));
            assert_eq!(&out[..2], b"xy");
            assert!(ring.is_empty());
        }
        assert_eq!(ring.take_dropped(), None);
    }

    #[test]
    fn a_line_without_room_is_dropped_whole_and_counted() {
        let mut storage = [0u8; 27];
        let mut ring = Ring::new(&mut storage[..]);
        assert!(ring.push(Header::default(), b"0123456789")); // 19 bytes
        assert!(!ring.push(Header::default(), b"abc")); // 12 more: no room
        assert!(!ring.push(Header::default(), b"")); // 9 more: 8 left
        assert_eq!(ring.used(), 19);
        assert_eq!(ring.take_dropped(), Some((2, 3)));
        assert_eq!(ring.take_dropped(), None);
        let mut out = [0u8; 16];
        assert_eq!(ring.pop(&mut out), Some((Header::default(), 10)));
        assert!(ring.push(Header::default(), b"abc"));
    }

    #[test]
    fn parts_make_one_line() {
        let mut storage = [0u8; 40];
        let mut ring = Ring::new(&mut storage[..]);
        assert!(ring.push_parts(Header::default(), &[b"[p:t@0] ", b"", b"text"]));
        let mut out = [0u8; 32];
        assert_eq!(ring.pop(&mut out), Some((Header::default(), 12)));
        assert_eq!(&out[..12], b"[p:t@0] text");
        assert!(!ring.push_parts(Header::default(), &[&[b'x'; 20], &[b'y'; 20]]));
        assert_eq!(ring.take_dropped(), Some((1, 40)));
    }

    #[test]
    fn an_empty_line_is_a_line() {
        let mut storage = [0u8; 16];
        let mut ring = Ring::new(&mut storage[..]);
        let h = Header { seq: 7, thread: 2, core: 0 };
        assert!(ring.push(h, b""));
        assert!(!ring.is_empty());
        assert_eq!(ring.peek(), Some(h));
        assert_eq!(ring.peek_len(), Some(0));
        assert_eq!(ring.pop(&mut [0u8; 4]), Some((h, 0)));
        assert_eq!(ring.peek(), None);
        assert_eq!(ring.pop(&mut [0u8; 4]), None);
    }

    #[test]
    fn a_short_output_buffer_cuts_the_copy_but_not_the_ring() {
        let mut storage = [0u8; 64];
        let mut ring = Ring::new(&mut storage[..]);
        assert!(ring.push(Header::default(), b"0123456789"));
        assert!(ring.push(Header::default(), b"next"));
        let mut out = [0u8; 4];
        assert_eq!(ring.pop(&mut out), Some((Header::default(), 10)));
        assert_eq!(&out, b"0123");
        let mut out = [0u8; 8];
        assert_eq!(ring.pop(&mut out), Some((Header::default(), 4)));
        assert_eq!(&out[..4], b"next");
    }
}

//! Object names (ARINC 653 GET_*_ID) and the arena buffers and blackboards
//! take their bytes from. Objects are created during initialisation only
//! and never deleted, so both only grow until the partition starts anew
//! ([`Names::clear`], [`Arena::clear`]).
#![forbid(unsafe_code)]

/// The longest object name, bytes (ARINC 653 NAME_TYPE holds 30
/// characters).
pub const MAX_NAME: usize = 30;

/// Why a name cannot be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// An object of the kind has that name already (its index).
    Exists(usize),
    /// Every slot is taken.
    Full,
    /// Empty, or longer than [`MAX_NAME`] bytes.
    BadName,
}

/// The names of up to `N` objects of one kind, numbered in creation order.
#[derive(Debug, Clone, Copy)]
pub struct Names<const N: usize> {
    names: [[u8; MAX_NAME]; N],
    lens: [u8; N],
    count: usize,
}

impl<const N: usize> Names<N> {
    /// No names.
    pub const fn new() -> Names<N> {
        Names { names: [[0; MAX_NAME]; N], lens: [0; N], count: 0 }
    }

    /// How many objects have a name (their indexes are `0..count`).
    pub fn count(&self) -> usize {
        self.count
    }

    /// The index of the object named `name`.
    pub fn find(&self, name: &[u8]) -> Option<usize> {
        (0..self.count).find(|&i| &self.names[i][..usize::from(self.lens[i])] == name)
    }

    /// Names the next object `name` and returns its index.
    pub fn add(&mut self, name: &[u8]) -> Result<usize, AddError> {
        if name.is_empty() || name.len() > MAX_NAME {
            return Err(AddError::BadName);
        }
        if let Some(i) = self.find(name) {
            return Err(AddError::Exists(i));
        }
        if self.count == N {
            return Err(AddError::Full);
        }
        let i = self.count;
        self.names[i][..name.len()].copy_from_slice(name);
        self.lens[i] = name.len() as u8;
        self.count += 1;
        Ok(i)
    }

    /// The name of object `index`.
    pub fn name(&self, index: usize) -> Option<&[u8]> {
        (index < self.count).then(|| &self.names[index][..usize::from(self.lens[index])])
    }

    /// Forgets every name.
    pub fn clear(&mut self) {
        self.count = 0;
    }
}

impl<const N: usize> Default for Names<N> {
    fn default() -> Self {
        Names::new()
    }
}

/// A bump allocator over `size` bytes: ranges handed out never overlap
/// and never move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arena {
    used: usize,
    size: usize,
}

impl Arena {
    /// An arena of `size` bytes, none used.
    pub const fn new(size: usize) -> Arena {
        Arena { used: 0, size }
    }

    /// `bytes` bytes starting at a multiple of 8; `None` if they do not
    /// fit in what is left.
    pub fn alloc(&mut self, bytes: usize) -> Option<core::ops::Range<usize>> {
        let start = self.used.checked_add(7)? & !7;
        let end = start.checked_add(bytes)?;
        if end > self.size {
            return None;
        }
        self.used = end;
        Some(start..end)
    }

    /// Bytes handed out so far, with their alignment padding.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Takes every range back.
    pub fn clear(&mut self) {
        self.used = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    #[test]
    fn names_are_found_refused_twice_and_bounded() {
        let mut n = Names::<2>::new();
        assert_eq!(n.add(b"alpha"), Ok(0));
        assert_eq!(n.add(b"alpha"), Err(AddError::Exists(0)));
        assert_eq!(n.add(b""), Err(AddError::BadName));
        assert_eq!(n.add(&[b'x'; 31]), Err(AddError::BadName));
        assert_eq!(n.add(&[b'x'; 30]), Ok(1));
        assert_eq!(n.add(b"gamma"), Err(AddError::Full));
        assert_eq!(n.find(b"alpha"), Some(0));
        assert_eq!(n.find(b"alph"), None);
        assert_eq!(n.name(1), Some(&[b'x'; 30][..]));
        n.clear();
        assert_eq!(n.find(b"alpha"), None);
        assert_eq!(n.add(b"gamma"), Ok(0));
    }

    #[test]
    fn the_arena_aligns_and_runs_out() {
        let mut a = Arena::new(32);
        assert_eq!(a.alloc(3), Some(0..3));
        assert_eq!(a.alloc(8), Some(8..16));
        assert_eq!(a.alloc(17), None);
        assert_eq!(a.alloc(16), Some(16..32));
        assert_eq!(a.alloc(0), Some(32..32));
        assert_eq!(a.alloc(1), None);
        a.clear();
        assert_eq!(a.alloc(32), Some(0..32));
        assert_eq!(a.alloc(usize::MAX), None);
    }

    proptest! {
        /// Ranges are disjoint, aligned, inside the arena, and a refusal
        /// means the request did not fit.
        #[test]
        fn arena_ranges_are_disjoint(sizes in proptest::collection::vec(0usize..200, 0..40)) {
            let mut a = Arena::new(1024);
            let mut got: Vec<core::ops::Range<usize>> = Vec::new();
            for s in sizes {
                let before = a.used();
                match a.alloc(s) {
                    Some(r) => {
                        prop_assert_eq!(r.start % 8, 0);
                        prop_assert_eq!(r.len(), s);
                        prop_assert!(r.end <= 1024);
                        prop_assert!(got.iter().all(|g| g.end <= r.start || r.end <= g.start || r.is_empty()));
                        got.push(r);
                    }
                    None => prop_assert!(((before + 7) & !7) + s > 1024),
                }
            }
        }
    }
}

//! Diagnostics: every problem `bulkhead check` finds, with the byte span it
//! points at, rendered as `file:line:column: error: ...` plus a hint and
//! notes pointing at the other objects involved (the first definition of a
//! duplicate, the window that overflows the frame). Collected, never thrown:
//! one run reports every error.

use std::fmt::Write as _;
use std::ops::Range;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The description is rejected.
    Error,
    /// Legal but probably not meant.
    Warning,
}

/// One problem, pointing into the description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Bytes of the source it is about.
    pub span: Range<usize>,
    /// What is wrong: objects and clashing numbers.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// Other places involved.
    pub notes: Vec<(Range<usize>, String)>,
}

impl Diagnostic {
    /// Attach a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Attach a note about another place.
    pub fn note(mut self, span: Range<usize>, note: impl Into<String>) -> Self {
        self.notes.push((span, note.into()));
        self
    }
}

/// Every diagnostic of one run.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

/// Build an error.
pub fn error(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
    Diagnostic { severity: Severity::Error, span, message: message.into(), hint: None, notes: Vec::new() }
}

/// Build a warning.
pub fn warning(span: Range<usize>, message: impl Into<String>) -> Diagnostic {
    Diagnostic { severity: Severity::Warning, ..error(span, message) }
}

impl Diagnostics {
    /// Record a diagnostic.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.items.iter().filter(|d| d.severity == Severity::Error).count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.items.len() - self.errors()
    }

    /// The diagnostics, in source order.
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.items.iter().collect();
        // Stable: diagnostics at one place keep the order they were found in.
        v.sort_by_key(|d| d.span.start);
        v
    }

    /// Render every diagnostic and a closing count, as `check` prints them.
    pub fn render(&self, file: &str, source: &str) -> String {
        let mut out = String::new();
        for d in self.sorted() {
            let kind = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let (line, col) = line_col(source, d.span.start);
            let _ = writeln!(out, "{file}:{line}:{col}: {kind}: {}", d.message);
            for (span, note) in &d.notes {
                let (line, col) = line_col(source, span.start);
                let _ = writeln!(out, "    note: {file}:{line}:{col}: {note}");
            }
            if let Some(hint) = &d.hint {
                let _ = writeln!(out, "    hint: {hint}");
            }
        }
        let _ = writeln!(
            out,
            "{file}: {} {}, {} {}",
            self.errors(),
            plural(self.errors(), "error", "errors"),
            self.warnings(),
            plural(self.warnings(), "warning", "warnings"),
        );
        out
    }
}

/// `one` for 1, else `many`.
pub fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// 1-based line and column (in characters) of byte `offset` in `source`.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = source.get(..offset).unwrap_or(source);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, col)
}

/// Closest candidate to `word` by edit distance, if it is close enough to be
/// a plausible typo (for "did you mean" hints).
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, c)| d <= 2.max(c.len() / 3) && d < c.len().max(word.len()))
        .min_by_key(|&(d, _)| d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let s = "a = 1\nbé = 2\n";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 6), (2, 1));
        assert_eq!(line_col(s, 10), (2, 4));
    }

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("stak", ["stack", "name"]), Some("stack"));
        assert_eq!(closest("zzzzzz", ["stack", "name"]), None);
    }
}

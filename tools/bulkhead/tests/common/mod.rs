//! Helpers the integration tests share: where the workspace is, a fresh
//! scratch folder, running the `bulkhead` binary, and reading the SVGs it
//! draws.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The workspace root (where `partitions/` is).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An empty folder `name` under the test target's scratch space.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Run `bulkhead args` in the workspace root.
pub fn bulkhead(args: &[&str]) -> Output {
    bulkhead_in(&root(), args)
}

/// Run `bulkhead args` in `dir`.
pub fn bulkhead_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bulkhead")).args(args).current_dir(dir).output().unwrap()
}

/// Parse an SVG that `command` wrote: well-formed XML with an `<svg>` root.
pub fn parse_svg<'a>(text: &'a str, command: &str) -> roxmltree::Document<'a> {
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{command} writes well-formed XML: {e:?}"));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc
}

/// The contents of the SVG's `<text>` elements, in document order.
pub fn svg_texts<'a>(doc: &'a roxmltree::Document<'_>) -> Vec<&'a str> {
    doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).collect()
}

/// The SVG has a lane labelled `core N` for each of `cores` cores.
pub fn assert_lane_per_core(texts: &[&str], cores: usize) {
    for core in 0..cores {
        assert!(texts.contains(&format!("core {core}").as_str()), "no lane for core {core}: {texts:?}");
    }
}

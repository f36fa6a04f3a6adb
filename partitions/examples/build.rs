//! Links the partition images with `linker/partition.ld` (IPA 0x4000_0000,
//! `.text.start` first) when building for a bare-metal AArch64 target; a
//! host build (`cargo clippy --workspace`) only type-checks them and is
//! left alone. Same pattern as kernel/build.rs.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("linker/partition.ld");
    let script = script.canonicalize().unwrap_or(script);
    println!("cargo:rerun-if-changed={}", script.display());
    if target.starts_with("aarch64") && target.ends_with("-none") {
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
    }
}

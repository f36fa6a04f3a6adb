//! Links the kernel binaries with `linker/kernel.ld` when building for the
//! bare-metal target; host builds (there are none of this crate) are left alone.
//!
//! Every binary is also linked with defmt's script (`-Tdefmt.x`, which
//! defmt's build script puts on the library search path): it gathers the
//! trace records' interned format strings into `.defmt`, an INFO section
//! (not allocated, so not in the raw image) that the host reads from the
//! ELF to decode the trace port (`src/module/trace.rs`).
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let script = root.join("linker/kernel.ld");
    println!("cargo:rerun-if-changed={}", script.display());
    if target.starts_with("aarch64-unknown-none") {
        println!("cargo:rustc-link-arg-bins=-T{}", script.display());
        println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
    }
}

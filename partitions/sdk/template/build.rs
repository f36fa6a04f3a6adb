//! Links the partition images with the SDK's linker script
//! (`linker/partition.ld`: IPA 0x4000_0000, `.text.start` first), whose path
//! the SDK's build script passes as `DEP_BULKHEAD_SDK_PARTITION_LD`, when
//! building for a bare-metal AArch64 target; a host build (`cargo clippy
//! --workspace`) only type-checks them and is left alone. A partition crate
//! outside this workspace copies it with the template; `partitions/examples`
//! builds with this very file (`build = ...` in its Cargo.toml).
//!
//! A crate that enables the SDK's `defmt` feature also links its binaries
//! with defmt's script (`-Tdefmt.x`: the interned strings of the log calls,
//! in a section that is not loaded); the SDK's build script tells it so.
fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("aarch64") && target.ends_with("-none") {
        let script = std::env::var("DEP_BULKHEAD_SDK_PARTITION_LD")
            .expect("bulkhead-sdk's build script names the partition linker script");
        println!("cargo:rustc-link-arg-bins=-T{script}");
        if std::env::var_os("DEP_BULKHEAD_SDK_DEFMT").is_some() {
            println!("cargo:rustc-link-arg-bins=-Tdefmt.x");
        }
    }
}

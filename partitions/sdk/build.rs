//! Tells every partition crate that depends on the SDK where the partition
//! linker script is (`linker/partition.ld`): the SDK declares
//! `links = "bulkhead_sdk"`, so a dependent's `build.rs` reads the path from
//! `DEP_BULKHEAD_SDK_PARTITION_LD`, in this workspace or outside it
//! (`partitions/sdk/template/build.rs`). With the `defmt` feature it also
//! says `DEP_BULKHEAD_SDK_DEFMT=1`: the dependent's binaries must then be
//! linked with defmt's linker script too (`-Tdefmt.x`, which defmt's own
//! build script puts on the library search path).
fn main() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../linker/partition.ld");
    let script = script.canonicalize().unwrap_or(script);
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:partition_ld={}", script.display());
    if std::env::var_os("CARGO_FEATURE_DEFMT").is_some() {
        println!("cargo:defmt=1");
    }
}

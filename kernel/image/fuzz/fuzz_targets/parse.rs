//! libFuzzer target: any bytes into `SystemImage::parse`; an accepted image
//! is walked in full and must re-serialise to an image that parses to the
//! same contents. Crashes and mismatches are the findings.
#![no_main]

use bulkhead_image::{ImageSpec, SystemImage};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(image) = SystemImage::parse(data) {
        let spec = ImageSpec::from_image(&image);
        let bytes = spec.to_bytes().expect("a parsed image re-serialises");
        let again = SystemImage::parse(&bytes).expect("re-serialised image parses");
        assert_eq!(ImageSpec::from_image(&again), spec);
    }
});

//! The kernel panic handler: location and message, then every core halts.
use crate::{arch, console, ipi};
use core::fmt::Write;
use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    let core = arch::core_id();
    let mut out = console::lock_for_fatal();
    match info.location() {
        Some(loc) => {
            let _ = writeln!(
                out,
                "*** kernel panic on core {core} at {}:{}:{}: {}",
                loc.file(),
                loc.line(),
                loc.column(),
                info.message()
            );
        }
        None => {
            let _ = writeln!(out, "*** kernel panic on core {core}: {}", info.message());
        }
    }
    drop(out);
    ipi::halt_all()
}

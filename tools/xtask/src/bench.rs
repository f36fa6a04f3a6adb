//! Benchmarks (not tests): run under `-icount shift=0,sleep=off`, where one
//! instruction advances virtual time by 1 ns, the PMU cycle counter counts
//! retired instructions, and a run repeats exactly. The images print their
//! own table rows (`bench | ...`); this prints them without the prefix.
use crate::build;
use crate::qemu::{self, Ending, Expect, Run};
use std::time::Duration;

const BENCHES: &[(&str, &str)] = &[("bench-irq", "EL2 timer interrupt path and SGI latency")];

pub fn run() -> Result<(), String> {
    let images = build::build_images()?;
    for (name, what) in BENCHES {
        let image = images.iter().find(|i| i.name == *name).ok_or_else(|| format!("benchmark image {name} not built"))?;
        let run = Run { image: &image.raw, semihosting: true, icount: true, timeout: Duration::from_secs(300) };
        let out = qemu::run(&run, &[Expect::line(r"^bench \|")], &Ending::Exit(0))?;
        println!("\n{name}: {what} (QEMU raspi4b, -icount shift=0,sleep=off)\n");
        for line in out.lines.iter().filter_map(|l| l.strip_prefix("bench | ")) {
            println!("  {line}");
        }
    }
    Ok(())
}

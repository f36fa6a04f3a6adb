//! Benchmarks (not tests): run under `-icount shift=0,sleep=off`, where one
//! instruction advances virtual time by 1 ns and runs repeat exactly.
pub fn run() -> Result<(), String> {
    Err("no benchmarks yet".into())
}

//! `a653rs-sampler`: the producer of a sampling pair, written against
//! a653rs only (the way a653rs-linux's `hello_part` writes its sampling
//! port, DLR-FT/a653rs-linux, MIT OR Apache-2.0), built for Bulkhead by
//! its backend dependency and the one line of start-up glue.
//!
//! Its periodic process (period 10 ms) writes value N and the time it
//! wrote it at each release, for 20 releases; then it stops writing and
//! only waits, so that its reader sees the last value age past the
//! refresh period. Descriptions: `partitions/tests/a653rs-sampling.toml`,
//! `partitions/demo.toml`.
//!
//! Console lines (read by the QEMU test `a653rs-sampling`):
//! - `sampler: value N written at T us` (N = 1..=20)
//! - `sampler: 20 values written, now silent`
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

a653rs_bulkhead::entry!(sampler::Partition);

#[a653rs::partition(a653rs_bulkhead::BulkheadHypervisor)]
mod sampler {
    use bulkhead_sdk::println;

    /// Values written before the sampler falls silent.
    const VALUES: u64 = 20;

    #[sampling_out(name = "reading", msg_size = "16B")]
    struct Reading;

    #[start(cold)]
    fn cold_start(mut ctx: start::Context) {
        ctx.create_reading().unwrap();
        ctx.create_produce().unwrap().start().unwrap();
    }

    #[start(warm)]
    fn warm_start(ctx: start::Context) {
        cold_start(ctx);
    }

    #[periodic(period = "10ms", time_capacity = "Infinite", stack_size = "8KB", base_priority = 1, deadline = "Soft")]
    fn produce(ctx: produce::Context) {
        for value in 1..=VALUES {
            let now = ctx.get_time().unwrap_duration();
            let mut message = [0u8; 16];
            message[..8].copy_from_slice(&value.to_le_bytes());
            message[8..].copy_from_slice(&(now.as_nanos() as u64).to_le_bytes());
            match ctx.reading.unwrap().send(&message) {
                Ok(()) => println!("sampler: value {value} written at {} us", now.as_micros()),
                Err(e) => panic!("sampler: value {value} not written: {e:?}"),
            }
            ctx.periodic_wait().unwrap();
        }
        println!("sampler: {VALUES} values written, now silent");
        loop {
            ctx.periodic_wait().unwrap();
        }
    }
}

//! `a653rs-reader`: the consumer of a sampling pair, written against
//! a653rs only (the way a653rs-linux's `hello_part` reads its sampling
//! port, DLR-FT/a653rs-linux, MIT OR Apache-2.0), built for Bulkhead by
//! its backend dependency and the one line of start-up glue.
//!
//! Its periodic process (period 10 ms, time capacity 2 ms) reads the
//! latest value at each release, with its validity: valid while younger
//! than the port's refresh period (15 ms). Descriptions:
//! `partitions/tests/a653rs-sampling.toml`, `partitions/demo.toml`.
//!
//! Console lines (read by the QEMU test `a653rs-sampling`):
//! - `reader: release R at T us: no value yet` (nothing written: NO_ACTION)
//! - `reader: release R at T us: value N written at W us, Valid|Invalid`
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

a653rs_bulkhead::entry!(reader::Partition);

#[a653rs::partition(a653rs_bulkhead::BulkheadHypervisor)]
mod reader {
    use bulkhead_sdk::println;

    #[sampling_in(name = "reading", msg_size = "16B", refresh_period = "15ms")]
    struct Reading;

    #[start(cold)]
    fn cold_start(mut ctx: start::Context) {
        ctx.create_reading().unwrap();
        ctx.create_consume().unwrap().start().unwrap();
    }

    #[start(warm)]
    fn warm_start(ctx: start::Context) {
        cold_start(ctx);
    }

    #[periodic(period = "10ms", time_capacity = "2ms", stack_size = "8KB", base_priority = 1, deadline = "Hard")]
    fn consume(ctx: consume::Context) {
        let mut release = 0u64;
        loop {
            let now = ctx.get_time().unwrap_duration().as_micros();
            let mut buffer = [0u8; 16];
            match ctx.reading.unwrap().receive(&mut buffer) {
                Ok((validity, bytes)) => {
                    let value = u64::from_le_bytes(bytes[..8].try_into().unwrap());
                    let written_us = u64::from_le_bytes(bytes[8..16].try_into().unwrap()) / 1000;
                    println!(
                        "reader: release {release} at {now} us: value {value} written at {written_us} us, {validity:?}"
                    );
                }
                Err(Error::NoAction) => println!("reader: release {release} at {now} us: no value yet"),
                Err(e) => panic!("reader: read failed: {e:?}"),
            }
            release += 1;
            ctx.periodic_wait().unwrap();
        }
    }
}

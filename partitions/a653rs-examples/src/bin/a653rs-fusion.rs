//! `a653rs-fusion`: the consumer of a sampling pair as a multi-process
//! partition whose processes talk through a blackboard and a buffer,
//! written against a653rs only and built for Bulkhead by its backend
//! dependency and the one line of start-up glue.
//!
//! Three processes, each on its own core (the description places them):
//! - `sample` (periodic, 10 ms) reads the sampling port `reading` at each
//!   release; each new valid value is displayed on the blackboard
//!   `latest`, and every fifth is also sent to the buffer `alerts`;
//! - `watch` (aperiodic) reads `latest`, waiting while it is empty, and
//!   clears it, so it waits again for the next display;
//! - `report` (aperiodic) receives from `alerts`, waiting while it is
//!   empty.
//!
//! Description: `partitions/tests/a653rs-fusion.toml` (with the sampler of
//! `a653rs-sampler.rs`, which writes the values 1 to 20, one per 10 ms).
//!
//! Console lines (read by the QEMU test `a653rs-fusion`):
//! - `sample: value N displayed` (and `, alert sent` every fifth)
//! - `watch: value N`
//! - `report: alert N`
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

a653rs_bulkhead::entry!(fusion::Partition);

#[a653rs::partition(a653rs_bulkhead::BulkheadHypervisor)]
mod fusion {
    use bulkhead_sdk::println;
    use core::str::FromStr;
    use core::time::Duration;

    /// Every fifth value is an alert.
    const ALERT_EVERY: u64 = 5;

    #[sampling_in(name = "reading", msg_size = "16B", refresh_period = "15ms")]
    struct Reading;

    fn name(s: &str) -> Name {
        Name::from_str(s).unwrap()
    }

    #[start(cold)]
    fn cold_start(mut ctx: start::Context) {
        ctx.create_reading().unwrap();
        ctx.ctx.create_blackboard(name("latest"), 8).unwrap();
        ctx.ctx.create_buffer(name("alerts"), 8, 4, QueuingDiscipline::Fifo).unwrap();
        ctx.create_sample().unwrap().start().unwrap();
        ctx.create_watch().unwrap().start().unwrap();
        ctx.create_report().unwrap().start().unwrap();
    }

    #[start(warm)]
    fn warm_start(ctx: start::Context) {
        cold_start(ctx);
    }

    #[periodic(period = "10ms", time_capacity = "Infinite", stack_size = "8KB", base_priority = 2, deadline = "Soft")]
    fn sample(ctx: sample::Context) {
        let latest = Blackboard::<Hypervisor>::from_name(name("latest")).unwrap();
        let alerts = Buffer::<Hypervisor>::from_name(name("alerts")).unwrap();
        let mut last = 0u64;
        loop {
            let mut message = [0u8; 16];
            if let Ok((Validity::Valid, bytes)) = ctx.reading.unwrap().receive(&mut message) {
                let value = u64::from_le_bytes(bytes[..8].try_into().unwrap());
                if value != last {
                    last = value;
                    latest.display(&value.to_le_bytes()).unwrap();
                    if value.is_multiple_of(ALERT_EVERY) {
                        let mut alert = value.to_le_bytes();
                        alerts.send(&mut alert, SystemTime::Normal(Duration::ZERO)).unwrap();
                        println!("sample: value {value} displayed, alert sent");
                    } else {
                        println!("sample: value {value} displayed");
                    }
                }
            }
            ctx.periodic_wait().unwrap();
        }
    }

    #[aperiodic(time_capacity = "Infinite", stack_size = "8KB", base_priority = 3, deadline = "Soft")]
    fn watch(_ctx: watch::Context) {
        let latest = Blackboard::<Hypervisor>::from_name(name("latest")).unwrap();
        loop {
            let mut bytes = [0u8; 8];
            let value = latest.read(SystemTime::Infinite, &mut bytes).unwrap();
            println!("watch: value {}", u64::from_le_bytes(value.try_into().unwrap()));
            latest.clear();
        }
    }

    #[aperiodic(time_capacity = "Infinite", stack_size = "8KB", base_priority = 1, deadline = "Soft")]
    fn report(_ctx: report::Context) {
        let alerts = Buffer::<Hypervisor>::from_name(name("alerts")).unwrap();
        loop {
            let mut bytes = [0u8; 8];
            let alert = alerts.receive(&mut bytes, SystemTime::Infinite).unwrap();
            println!("report: alert {}", u64::from_le_bytes(alert.try_into().unwrap()));
        }
    }
}

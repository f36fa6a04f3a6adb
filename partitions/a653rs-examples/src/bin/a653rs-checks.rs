//! `a653rs-checks`: an a653rs partition that asks the backend for what
//! the description does not say, and uses the services the ping-pong and
//! sampling pairs do not: the refusals of its create services
//! (INVALID_CONFIG with the difference printed, NO_ACTION for a second
//! create), DELAYED_START (a process the kernel starts at the image's
//! entry, run by the start-up glue), and an error handler that reads an
//! application error of another process. Description:
//! `partitions/tests/a653rs-checks.toml`.
//!
//! Console lines (read by the QEMU test `a653rs-checks`), from the main
//! process in COLD_START:
//! - `checks: create_wrong_period: Err(InvalidConfig)` (and the others)
//! - `checks: initialised at T us`
//!
//! from `worker`, started 2 ms after NORMAL:
//! - `worker: started at T us`, `worker: went on after its error`
//!
//! from the error handler:
//! - `handler: ApplicationError from process P: "worker: deliberate"`
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

a653rs_bulkhead::entry!(checks::Partition);

#[a653rs::partition(a653rs_bulkhead::BulkheadHypervisor)]
mod checks {
    use bulkhead_sdk::println;
    use core::time::Duration;

    /// The description's `deep` channel has depth 4.
    #[queuing_out(name = "deep", msg_size = "8B", msg_count = "8", discipline = "Fifo")]
    struct Deep;

    /// No port of this name in the description.
    #[sampling_out(name = "missing", msg_size = "8B")]
    struct Missing;

    #[start(cold)]
    fn cold_start(mut ctx: start::Context) {
        println!("checks: create_wrong_period: {:?}", ctx.create_wrong_period().map(|_| ()));
        println!("checks: create_deep: {:?}", ctx.create_deep());
        println!("checks: create_missing: {:?}", ctx.create_missing());
        let worker = ctx.create_worker().unwrap().clone();
        println!("checks: create_worker again: {:?}", ctx.create_worker().map(|_| ()));
        println!("checks: error handler: {:?}", ctx.ctx.set_error_handler(handler, 8192));
        println!(
            "checks: delayed_start(worker, 2 ms): {:?}",
            worker.delayed_start(SystemTime::Normal(Duration::from_millis(2)))
        );
        let now = ctx.get_time().unwrap_duration();
        println!("checks: initialised at {} us", now.as_micros());
    }

    #[start(warm)]
    fn warm_start(ctx: start::Context) {
        cold_start(ctx);
    }

    /// Described without `period`: refused.
    #[periodic(period = "10ms", time_capacity = "Infinite", stack_size = "8KB", base_priority = 1, deadline = "Soft")]
    fn wrong_period(_ctx: wrong_period::Context) {}

    #[aperiodic(time_capacity = "Infinite", stack_size = "8KB", base_priority = 5, deadline = "Soft")]
    fn worker(ctx: worker::Context) {
        println!("worker: started at {} us", ctx.get_time().unwrap_duration().as_micros());
        // To the error handler, which the kernel starts at priority 255.
        ctx.raise_application_error(b"worker: deliberate").unwrap();
        println!("worker: went on after its error");
    }

    /// The error handler's entry point: reads every queued error, then
    /// returns (the backend stops it; the next error starts it again).
    extern "C" fn handler() {
        while let Ok(status) = <Hypervisor as ApexErrorP1Ext>::error_status() {
            let message = &status.message[..status.length as usize];
            println!(
                "handler: {:?} from process {}: {:?}",
                status.error_code,
                status.failed_process_id,
                core::str::from_utf8(message).unwrap_or("?")
            );
        }
    }
}

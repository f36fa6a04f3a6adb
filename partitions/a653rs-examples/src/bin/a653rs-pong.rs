//! `a653rs-pong`: the server of a ping-pong pair over two queuing ports,
//! written against a653rs only (the way a653rs-linux's `ping_queue`
//! server is, DLR-FT/a653rs-linux, MIT OR Apache-2.0), built for Bulkhead
//! by its backend dependency and the one line of start-up glue.
//!
//! Its aperiodic process waits for a request, for as long as it takes,
//! and sends it back with the time it answered. Descriptions:
//! `partitions/tests/a653rs-ping.toml`, `partitions/demo.toml`.
//!
//! Console line (read by the QEMU test `a653rs-ping`):
//! - `pong: request N answered at T us`
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

a653rs_bulkhead::entry!(pong::Partition);

#[a653rs::partition(a653rs_bulkhead::BulkheadHypervisor)]
mod pong {
    use bulkhead_sdk::println;

    #[queuing_in(name = "req_dest", msg_size = "16B", msg_count = "10", discipline = "Fifo")]
    struct PingRequest;

    #[queuing_out(name = "res_source", msg_size = "32B", msg_count = "10", discipline = "Fifo")]
    struct PingResponse;

    #[start(cold)]
    fn cold_start(mut ctx: start::Context) {
        ctx.create_ping_request().unwrap();
        ctx.create_ping_response().unwrap();
        ctx.create_aperiodic_pong().unwrap().start().unwrap();
    }

    #[start(warm)]
    fn warm_start(ctx: start::Context) {
        cold_start(ctx);
    }

    #[aperiodic(time_capacity = "Infinite", stack_size = "8KB", base_priority = 1, deadline = "Soft")]
    fn aperiodic_pong(ctx: aperiodic_pong::Context) {
        loop {
            let mut request = [0u8; 16];
            let (bytes, _overflow) = match ctx.ping_request.unwrap().receive(&mut request, SystemTime::Infinite) {
                Ok(got) => got,
                Err(e) => panic!("pong: receive failed: {e:?}"),
            };
            let number = u64::from_le_bytes(bytes[..8].try_into().unwrap());
            let now = ctx.get_time().unwrap_duration();
            let mut reply = [0u8; 32];
            reply[..16].copy_from_slice(&request);
            reply[16..24].copy_from_slice(&(now.as_nanos() as u64).to_le_bytes());
            match ctx.ping_response.unwrap().send(&reply, SystemTime::Infinite) {
                Ok(()) => println!("pong: request {number} answered at {} us", now.as_micros()),
                Err(e) => panic!("pong: reply {number} not sent: {e:?}"),
            }
        }
    }
}

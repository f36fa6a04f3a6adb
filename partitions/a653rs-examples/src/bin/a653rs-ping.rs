//! `a653rs-ping`: the client of a ping-pong pair over two queuing ports,
//! written against a653rs only (the way a653rs-linux's `ping_queue`
//! client is, DLR-FT/a653rs-linux, MIT OR Apache-2.0), built for Bulkhead
//! by its backend dependency and the one line of start-up glue.
//!
//! Each window of its partition, its periodic process takes the reply to
//! its previous request (sequence number, the request's and the reply's
//! times) and sends the next request. Descriptions:
//! `partitions/tests/a653rs-ping.toml`, `partitions/demo.toml`.
//!
//! Console lines (read by the QEMU test `a653rs-ping`):
//! - `ping: request N sent at T us`
//! - `ping: reply N, round trip R us (pong answered at P us)`
//! - `ping: no reply yet` (the first window only)
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

a653rs_bulkhead::entry!(ping::Partition);

#[a653rs::partition(a653rs_bulkhead::BulkheadHypervisor)]
mod ping {
    use bulkhead_sdk::println;
    use core::time::Duration;

    #[queuing_out(name = "req_source", msg_size = "16B", msg_count = "10", discipline = "Fifo")]
    struct PingRequest;

    #[queuing_in(name = "res_dest", msg_size = "32B", msg_count = "10", discipline = "Fifo")]
    struct PingResponse;

    #[start(cold)]
    fn cold_start(mut ctx: start::Context) {
        ctx.create_ping_request().unwrap();
        ctx.create_ping_response().unwrap();
        ctx.create_periodic_ping().unwrap().start().unwrap();
    }

    #[start(warm)]
    fn warm_start(ctx: start::Context) {
        cold_start(ctx);
    }

    // Period 0: released at the start of each of the partition's windows
    // (on Bulkhead, a thread without `period`).
    #[periodic(period = "0ms", time_capacity = "Infinite", stack_size = "8KB", base_priority = 1, deadline = "Soft")]
    fn periodic_ping(ctx: periodic_ping::Context) {
        let us = |d: Duration| d.as_micros() as u64;
        let mut sequence = 0u64;
        loop {
            let now = ctx.get_time().unwrap_duration();
            // The reply to the previous request: pong answered it in its
            // window, after ours, in the previous major frame.
            let mut reply = [0u8; 32];
            match ctx.ping_response.unwrap().receive(&mut reply, SystemTime::Normal(Duration::ZERO)) {
                Ok((bytes, _overflow)) => {
                    let field = |i: usize| u64::from_le_bytes(bytes[i * 8..i * 8 + 8].try_into().unwrap());
                    let (number, sent_ns, answered_ns) = (field(0), field(1), field(2));
                    let round_trip_us = (now.as_nanos() as u64 - sent_ns) / 1000;
                    println!(
                        "ping: reply {number}, round trip {round_trip_us} us (pong answered at {} us)",
                        answered_ns / 1000
                    );
                }
                Err(Error::NotAvailable) => println!("ping: no reply yet"),
                Err(e) => panic!("ping: receive failed: {e:?}"),
            }

            sequence += 1;
            let mut request = [0u8; 16];
            request[..8].copy_from_slice(&sequence.to_le_bytes());
            request[8..].copy_from_slice(&(now.as_nanos() as u64).to_le_bytes());
            match ctx.ping_request.unwrap().send(&request, SystemTime::Normal(Duration::ZERO)) {
                Ok(()) => println!("ping: request {sequence} sent at {} us", us(now)),
                Err(e) => panic!("ping: request {sequence} not sent: {e:?}"),
            }
            ctx.periodic_wait().unwrap();
        }
    }
}

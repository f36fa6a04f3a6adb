//! `hostile-ports`: misuses its ports, one case at a time, and prints the
//! status each call returns; then floods a full queue for ever
//! (partitions/tests/hostile-ports.toml, beside the `ticker` bystander,
//! which owns the other ends of its channels and never touches them).
//!
//! Its ports: `s_out` (sampling source, 16 B, to `ticker.s_in`), `q_out`
//! (queuing source, 16 B, depth 4, to `ticker.q_in`), `q_in` (queuing
//! destination, 16 B, depth 4, from `ticker.q_out`). Handles are indices
//! in the module's port table, channel by channel, source first: 0
//! `s_out`, 1 `ticker.s_in`, 2 `q_out`, 3 `ticker.q_in`, 4 `ticker.q_out`,
//! 5 `q_in`.
//!
//! Prints, in this order (each case line `hostile-ports: <case>: status
//! <raw x0> (<Status name>)`, the expected status here):
//!
//! ```text
//! hostile-ports: misusing its ports (restarts R)
//! hostile-ports: unknown port name: status -2 (InvalidParameter)
//! hostile-ports: port name too long: status -2 (InvalidParameter)
//! hostile-ports: port name in kernel memory: status -3 (InvalidAddress)
//! hostile-ports: another partition's port: status -2 (InvalidParameter)
//! hostile-ports: handle out of range: status -2 (InvalidParameter)
//! hostile-ports: queuing send on a sampling port: status -8 (InvalidMode)
//! hostile-ports: receive on a source port: status -8 (InvalidMode)
//! hostile-ports: sampling read on a queuing port: status -8 (InvalidMode)
//! hostile-ports: sampling write on a destination port: status -8 (InvalidMode)
//! hostile-ports: message over its size: status -2 (InvalidParameter)
//! hostile-ports: message across end of memory: status -3 (InvalidAddress)
//! hostile-ports: receive buffer under the message size: status -2 (InvalidParameter)
//! hostile-ports: receive into its own text: status -3 (InvalidAddress)
//! hostile-ports: receive into its read-only data: status -3 (InvalidAddress)
//! hostile-ports: status into its own text: status -3 (InvalidAddress)
//! hostile-ports: status record of the wrong size: status -2 (InvalidParameter)
//! hostile-ports: empty queue polled: status -5 (Empty)
//! hostile-ports: receive buffer of 2^64 - 1 bytes: status -3 (InvalidAddress)
//! hostile-ports: sampling write within limits: status 0 (Success)
//! hostile-ports: flood: 4 sent, then 1000 refused (Full); the port counts 1000 overflows
//! hostile-ports: flooding the full queue
//! ```
//!
//! Thread 1 (core 1) meanwhile waits for ever to send into the full queue.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]

use bulkhead_board_rpi4::memory::KERNEL_LOAD;
use bulkhead_sdk::abi::PORT_STATUS_SIZE;
use bulkhead_sdk::{
    Call, INFINITE, QueuingSource, Status, ThreadInfo, hvc, partition_status, periodic_wait, println, status_name,
};

bulkhead_sdk::partition_main!(main);

/// Read-only data (`.rodata`): a buffer the kernel must not write.
static READ_ONLY: [u8; 16] = [0x5a; 16];
/// A message one byte over the ports' 16.
static TOO_LONG: [u8; 17] = [b'-'; 17];

/// Handles of the description's port table (see the module docs).
const S_OUT: u64 = 0;
const TICKER_S_IN: u64 = 1;
const Q_OUT: u64 = 2;
const Q_IN: u64 = 5;

fn main(thread: ThreadInfo) -> ! {
    if thread.index == 1 {
        blocked_sender();
    }
    let restarts = partition_status().map_or(0, |s| s.restarts);
    println!("hostile-ports: misusing its ports (restarts {restarts})");
    let mut buf = [0u8; 64];
    let b = buf.as_mut_ptr() as u64;
    let end = thread.memory_end();
    let text = main as *const () as u64;
    let rodata = READ_ONLY.as_ptr() as u64;
    let long_name = b"a_port_name_of_thirty_two_bytes_";
    let by_name = Call::PortByName.id();
    let write = Call::WriteSamplingMessage.id();
    let read = Call::ReadSamplingMessage.id();
    let send = Call::SendQueuingMessage.id();
    let receive = Call::ReceiveQueuingMessage.id();
    let status = Call::PortStatus.id();
    let cases: [(&str, u32, [u64; 4]); 19] = [
        ("unknown port name", by_name, [b"nope".as_ptr() as u64, 4, 0, 0]),
        ("port name too long", by_name, [long_name.as_ptr() as u64, long_name.len() as u64, 0, 0]),
        ("port name in kernel memory", by_name, [KERNEL_LOAD as u64, 4, 0, 0]),
        ("another partition's port", read, [TICKER_S_IN, b, 16, 0]),
        ("handle out of range", write, [1000, b, 16, 0]),
        ("queuing send on a sampling port", send, [S_OUT, b, 16, 0]),
        ("receive on a source port", receive, [Q_OUT, b, 16, 0]),
        ("sampling read on a queuing port", read, [Q_IN, b, 16, 0]),
        ("sampling write on a destination port", write, [Q_IN, b, 16, 0]),
        ("message over its size", write, [S_OUT, TOO_LONG.as_ptr() as u64, TOO_LONG.len() as u64, 0]),
        ("message across end of memory", write, [S_OUT, end - 8, 16, 0]),
        ("receive buffer under the message size", receive, [Q_IN, b, 15, 0]),
        ("receive into its own text", receive, [Q_IN, text, 16, 0]),
        ("receive into its read-only data", receive, [Q_IN, rodata, 16, 0]),
        ("status into its own text", status, [S_OUT, text, PORT_STATUS_SIZE as u64, 0]),
        ("status record of the wrong size", status, [S_OUT, b, PORT_STATUS_SIZE as u64 - 1, 0]),
        ("empty queue polled", receive, [Q_IN, b, 16, 0]),
        ("receive buffer of 2^64 - 1 bytes", receive, [Q_IN, b, u64::MAX, 0]),
        ("sampling write within limits", write, [S_OUT, b, 16, 0]),
    ];
    for (what, id, [a1, a2, a3, a4]) in cases {
        // SAFETY: every pointer argument is either ours (`buf`, the
        // statics, our text: the kernel refuses to write the last two) or
        // one the kernel must refuse before touching it; none of these
        // calls stops the partition.
        let [x0, ..] = unsafe { hvc(id, [a1, a2, a3, a4, 0, 0]) };
        println!("hostile-ports: {what}: status {} ({})", x0 as i64, status_name(x0 as i64));
    }
    flood()
}

fn flood() -> ! {
    let q = match QueuingSource::new("q_out") {
        Ok(q) => q,
        Err(s) => {
            println!("hostile-ports: FAILED: port q_out: {}", status_name(s.raw()));
            loop {
                let _ = periodic_wait();
            }
        }
    };
    let (mut sent, mut refused) = (0u32, 0u32);
    while refused < 1000 {
        match q.send(b"0123456789abcdef", 0) {
            Ok(()) => sent += 1,
            Err(Status::Full) => refused += 1,
            Err(s) => println!("hostile-ports: FAILED: send: {}", status_name(s.raw())),
        }
    }
    let overflows = q.status().map_or(u64::MAX, |s| s.overflows);
    // The case lines, about 2 KB, take the 115200-baud console some 180
    // ms: let it carry them first, so these lines find room.
    for _ in 0..30 {
        let _ = periodic_wait();
    }
    println!("hostile-ports: flood: {sent} sent, then {refused} refused (Full); the port counts {overflows} overflows");
    println!("hostile-ports: flooding the full queue");
    loop {
        let _ = q.send(b"0123456789abcdef", 0);
    }
}

/// Waits for ever to send into the queue the other thread fills.
fn blocked_sender() -> ! {
    if let Ok(q) = QueuingSource::new("q_out") {
        // Once the other thread has filled it: nobody drains it after.
        while q.status().is_ok_and(|s| s.messages < s.depth) {
            let _ = periodic_wait();
        }
        let status = match q.send(b"fedcba9876543210", INFINITE) {
            Ok(()) => "Success",
            Err(s) => status_name(s.raw()),
        };
        println!("hostile-ports: FAILED: a send into a queue nobody drains returned {status}");
    }
    loop {
        let _ = periodic_wait();
    }
}

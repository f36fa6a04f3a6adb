//! `port-reader`: a destination of the sampling-port test
//! (partitions/tests/ports-sampling.toml; two partitions run this image).
//! At the start of each of its first `READS` windows it reads its sampling
//! port `in` and prints what it found; then its port's status.
//!
//! Prints (K: read number from 0; M: the message, as the sampler numbers
//! them; A: its age in ns; V: 1 valid, 0 invalid):
//!
//! ```text
//! port-reader: read K: Empty
//! port-reader: read K: message M, age A ns, valid V
//! port-reader: status: 1 message, refresh period P ns, last age A ns, validity V
//! port-reader: wide: N messages checked byte for byte
//! ```
//! or `port-reader: FAILED: <call>: <status>`, or `port-reader: FAILED:
//! wide read K: ...` naming the first byte that differs.
//!
//! With each read of `in` it reads `wide-in` too, into a buffer K bytes
//! past a word boundary (mod 8), and checks the message against
//! `wide::wide_message` (its first byte says which message it is): N
//! counts the reads that found one.
#![cfg_attr(target_os = "none", no_std)]
#![no_main]
#![forbid(unsafe_code)]

#[path = "../wide.rs"]
mod wide;

use bulkhead_sdk::{SamplingDestination, Status, ThreadInfo, periodic_wait, println, status_name};

bulkhead_sdk::partition_main!(main);

/// Windows in which it reads: the sampler writes in 20, then is silent.
const READS: u32 = 26;

fn main(_thread: ThreadInfo) -> ! {
    match SamplingDestination::new("in").and_then(|port| Ok((port, SamplingDestination::new("wide-in")?))) {
        Ok((port, wide)) => read(&port, &wide),
        Err(s) => println!("port-reader: FAILED: ports: {}", status_name(s.raw())),
    }
    loop {
        let _ = periodic_wait();
    }
}

fn read(port: &SamplingDestination, wide: &SamplingDestination) {
    let mut buf = [0u8; 8];
    let mut wide_buf = wide::Aligned([0; wide::WIDE + 8]);
    let mut checked = 0;
    for k in 0..READS {
        let offset = k as usize % 8;
        let into = &mut wide_buf.0[offset..offset + wide::WIDE];
        into.fill(0xee);
        match wide.read(into) {
            Ok(s) => match check_wide(&into[..], s.len) {
                Ok(()) => checked += 1,
                Err(what) => println!("port-reader: FAILED: wide read {k}: {what}"),
            },
            Err(Status::Empty) => {}
            Err(s) => println!("port-reader: FAILED: wide read {k}: {}", status_name(s.raw())),
        }
        match port.read(&mut buf) {
            Ok(s) if s.len == 8 => {
                let m = u64::from_le_bytes(buf);
                println!("port-reader: read {k}: message {m}, age {} ns, valid {}", s.age_ns, u8::from(s.valid));
            }
            Ok(s) => println!("port-reader: FAILED: read {k}: {} bytes, not 8", s.len),
            Err(Status::Empty) => println!("port-reader: read {k}: Empty"),
            Err(s) => println!("port-reader: FAILED: read {k}: {}", status_name(s.raw())),
        }
        let _ = periodic_wait();
    }
    match port.status() {
        Ok(s) => println!(
            "port-reader: status: {} message, refresh period {} ns, last age {} ns, validity {}",
            s.messages, s.refresh_period_ns, s.last_message_age_ns, s.validity
        ),
        Err(s) => println!("port-reader: FAILED: status: {}", status_name(s.raw())),
    }
    println!("port-reader: wide: {checked} messages checked byte for byte");
}

/// Whether `got` holds message `got[0]` of `len` bytes, and nothing was
/// written past it.
fn check_wide(got: &[u8], len: usize) -> Result<(), &'static str> {
    let Some(&m) = got.first() else { return Err("no buffer") };
    let (want, want_len) = wide::wide_message(m);
    if len != want_len {
        return Err("length is not the message's");
    }
    if got[..len] != want[..len] {
        return Err("a byte differs from what was written");
    }
    if got[len..].iter().any(|&b| b != 0xee) {
        return Err("a byte written past the message");
    }
    Ok(())
}

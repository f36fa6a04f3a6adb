//! The channel rules, and a model check of queues against `VecDeque`.
use bulkhead_ports::*;
use proptest::prelude::*;
use std::collections::VecDeque;

fn storage(kind: Kind, size: u32) -> Vec<u8> {
    vec![0xAA; storage_bytes(kind, size).unwrap()]
}

fn put(c: &mut Channel, s: &mut [u8], msg: &[u8], now: u64) -> Result<(), SendError> {
    c.put(s, msg.len(), now, true, |out| out.copy_from_slice(msg))
}

fn read(c: &Channel, s: &mut [u8], now: u64) -> Option<(Vec<u8>, Sample)> {
    c.peek(s, now, |bytes, sample| (bytes.to_vec(), sample))
}

#[test]
fn limits_are_refused_with_the_value() {
    assert_eq!(storage_bytes(Kind::Queuing { depth: 4 }, 0), Err(LimitError::MessageSize(0)));
    assert_eq!(storage_bytes(Kind::Sampling { refresh_period: 1 }, 8193), Err(LimitError::MessageSize(8193)));
    assert_eq!(storage_bytes(Kind::Queuing { depth: 0 }, 8), Err(LimitError::Depth(0)));
    assert_eq!(storage_bytes(Kind::Queuing { depth: 1025 }, 8), Err(LimitError::Depth(1025)));
    // Each slot: a 4-byte length, then the message, to 8-byte multiples.
    assert_eq!(storage_bytes(Kind::Sampling { refresh_period: 1 }, 64), Ok(72));
    assert_eq!(storage_bytes(Kind::Queuing { depth: 16 }, 128), Ok(16 * 136));
    assert_eq!(storage_bytes(Kind::Queuing { depth: 3 }, 1), Ok(24));
    // The largest channel fits the pool.
    let largest = storage_bytes(Kind::Queuing { depth: MAX_QUEUE_DEPTH }, 8).unwrap();
    assert!(largest <= POOL_SIZE);
    // The limits themselves are allowed.
    assert_eq!(storage_bytes(Kind::Sampling { refresh_period: 1 }, MAX_MESSAGE_SIZE), Ok(8200));
    let c = Channel::new(Kind::Queuing { depth: 1 }, MAX_MESSAGE_SIZE).unwrap();
    assert_eq!(c.message_size(), MAX_MESSAGE_SIZE);
    assert_eq!(Channel::new(Kind::Queuing { depth: 1 }, 7).unwrap().message_size(), 7);
}

#[test]
fn a_corrupted_length_in_storage_reads_no_further_than_the_slot() {
    // The storage is the kernel's, written only by `put`; even so a length
    // header that says more than the slot holds is clamped, never a read
    // past it (which would be a panic in the kernel).
    let kind = Kind::Queuing { depth: 2 };
    let mut s = storage(kind, 12);
    let mut c = Channel::new(kind, 12).unwrap();
    put(&mut c, &mut s, b"abc", 0).unwrap();
    s[..4].copy_from_slice(&u32::MAX.to_le_bytes());
    let (m, sample) = read(&c, &mut s, 0).unwrap();
    assert_eq!((m.len(), sample.len), (12, 12), "a 16-byte slot holds 12 bytes after its length");
}

#[test]
fn sampling_keeps_the_latest_message_and_its_validity_follows_the_refresh_period() {
    let kind = Kind::Sampling { refresh_period: 100 };
    let mut s = storage(kind, 16);
    let mut c = Channel::new(kind, 16).unwrap();
    assert_eq!(read(&c, &mut s, 5), None, "never written: nothing to read");
    assert_eq!(c.messages(), 0);
    put(&mut c, &mut s, b"first", 10).unwrap();
    put(&mut c, &mut s, b"second!", 20).unwrap();
    assert_eq!(c.messages(), 1);
    let (m, sample) = read(&c, &mut s, 120).unwrap();
    assert_eq!((m.as_slice(), sample), (&b"second!"[..], Sample { len: 7, age: 100, valid: true }));
    let (_, sample) = read(&c, &mut s, 121).unwrap();
    assert_eq!((sample.age, sample.valid), (101, false), "older than the refresh period: invalid");
    // Reading does not consume; a read is repeatable by every destination.
    c.pop();
    assert_eq!(read(&c, &mut s, 121).unwrap().0, b"second!");
    // An empty message is a message.
    put(&mut c, &mut s, b"", 130).unwrap();
    assert_eq!(read(&c, &mut s, 130).unwrap(), (vec![], Sample { len: 0, age: 0, valid: true }));
    assert_eq!(put(&mut c, &mut s, &[0; 17], 140), Err(SendError::TooLong));
    assert_eq!(read(&c, &mut s, 140).unwrap().1.len, 0, "a refused write changes nothing");
    assert_eq!(c.overflows(), 0);
}

#[test]
fn a_full_queue_refuses_and_counts_only_counted_refusals() {
    let kind = Kind::Queuing { depth: 2 };
    let mut s = storage(kind, 4);
    let mut c = Channel::new(kind, 4).unwrap();
    put(&mut c, &mut s, b"a", 0).unwrap();
    put(&mut c, &mut s, b"bb", 0).unwrap();
    assert!(c.is_full());
    assert_eq!(put(&mut c, &mut s, b"c", 0), Err(SendError::Full));
    assert_eq!(c.put(&mut s, 1, 0, false, |_| unreachable!()), Err(SendError::Full));
    assert_eq!(c.overflows(), 1, "a sender that waits is not yet refused");
    assert_eq!(put(&mut c, &mut s, b"12345", 0), Err(SendError::TooLong));
    assert_eq!(read(&c, &mut s, 0).unwrap().0, b"a");
    c.pop();
    assert_eq!(read(&c, &mut s, 0).unwrap().0, b"bb");
    c.pop();
    assert_eq!(read(&c, &mut s, 0), None);
    c.pop();
    assert_eq!(c.messages(), 0, "popping an empty queue does nothing");
}

#[derive(Debug, Clone)]
enum Op {
    Send(Vec<u8>),
    Receive,
}

proptest! {
    #[test]
    fn a_queue_behaves_as_a_bounded_fifo(
        depth in 1u32..6,
        size in 1u32..24,
        ops in prop::collection::vec(prop_oneof![
            prop::collection::vec(any::<u8>(), 0..28).prop_map(Op::Send),
            Just(Op::Receive),
        ], 0..200),
    ) {
        let kind = Kind::Queuing { depth };
        let mut s = storage(kind, size);
        let mut c = Channel::new(kind, size).unwrap();
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let mut refused = 0u64;
        for op in ops {
            match op {
                Op::Send(m) => {
                    let got = put(&mut c, &mut s, &m, 0);
                    let want = if m.len() > size as usize {
                        Err(SendError::TooLong)
                    } else if model.len() == depth as usize {
                        refused += 1;
                        Err(SendError::Full)
                    } else {
                        model.push_back(m);
                        Ok(())
                    };
                    prop_assert_eq!(got, want);
                }
                Op::Receive => {
                    let got = read(&c, &mut s, 0).map(|(m, _)| m);
                    c.pop();
                    prop_assert_eq!(got, model.pop_front());
                }
            }
            prop_assert_eq!(c.messages() as usize, model.len());
            prop_assert_eq!(c.overflows(), refused);
            prop_assert_eq!(c.is_full(), model.len() == depth as usize);
        }
    }
}

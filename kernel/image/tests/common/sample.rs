//! A valid sample image shared by the integration tests (included with
//! `#[path]`): three partitions, two schedules, a channel of each kind, two
//! shared memory regions at one IPA (no partition maps both), two devices.

use bulkhead_image::*;

pub fn sample() -> ImageSpec {
    ImageSpec {
        module: ModuleSpec { name: "demo".into(), core_count: 4, console_baud: 115_200 },
        schedules: vec![
            ScheduleSpec {
                name: "main".into(),
                major_frame_ns: 20_000_000,
                initial: true,
                windows: vec![
                    WindowSpec { owner: Some(0), duration_ns: 5_000_000 },
                    WindowSpec { owner: Some(1), duration_ns: 8_000_000 },
                    WindowSpec { owner: None, duration_ns: 2_000_000 },
                    WindowSpec { owner: Some(2), duration_ns: 3_000_000 },
                ],
            },
            ScheduleSpec {
                name: "safe".into(),
                major_frame_ns: 10_000_000,
                initial: false,
                windows: vec![WindowSpec { owner: Some(2), duration_ns: 10_000_000 }],
            },
        ],
        partitions: vec![
            PartitionSpec {
                name: "hello".into(),
                system: false,
                write_execute: false,
                initialization: false,
                phys_base: 0x2000_0000,
                memory_size: 0x40_0000,
                ipa_base: 0x4000_0000,
                entry_ipa: 0x4000_0000,
                console_buffer: 2048,
                heap_size: 0x4000,
                segments: vec![
                    SegmentSpec { load_offset: 0, mem_size: 0x2000, flags: 5, data: vec![0xAA; 100] },
                    SegmentSpec { load_offset: 0x2000, mem_size: 0x3000, flags: 3, data: vec![1, 2, 3] },
                ],
            },
            PartitionSpec {
                name: "multicore".into(),
                system: false,
                write_execute: false,
                initialization: false,
                phys_base: 0x2040_0000,
                memory_size: 0x20_0000,
                ipa_base: 0x4000_0000,
                entry_ipa: 0x4000_0100,
                console_buffer: 256,
                heap_size: 0,
                segments: vec![SegmentSpec { load_offset: 0, mem_size: 0x1000, flags: 5, data: vec![7; 17] }],
            },
            PartitionSpec {
                name: "monitor".into(),
                system: true,
                write_execute: false,
                initialization: false,
                phys_base: 0x2060_0000,
                memory_size: 0x10_0000,
                ipa_base: 0x4000_0000,
                entry_ipa: 0x4000_0000,
                console_buffer: 16384,
                heap_size: 0,
                segments: vec![],
            },
        ],
        threads: vec![
            thread("main", 0, 0b0001),
            thread("w0", 1, 0b0001),
            thread("w1", 1, 0b0010),
            thread("w2", 1, 0b0100),
            thread("w3", 1, 0b1000),
            ThreadSpec { period_ns: Some(20_000_000), deadline_ns: Some(10_000_000), ..thread("main", 2, 0b1111) },
        ],
        channels: vec![
            ChannelSpec {
                name: "temps".into(),
                kind: ChannelKind::Sampling { refresh_period_ns: 40_000_000 },
                message_size: 64,
                ports: vec![
                    PortSpec { partition: 1, name: "out".into() },
                    PortSpec { partition: 2, name: "temps".into() },
                    PortSpec { partition: 0, name: "temps".into() },
                ],
            },
            ChannelSpec {
                name: "log".into(),
                kind: ChannelKind::Queuing { depth: 8 },
                message_size: 128,
                ports: vec![
                    PortSpec { partition: 0, name: "log".into() },
                    PortSpec { partition: 2, name: "log".into() },
                ],
            },
        ],
        health: vec![
            HealthEntry::new(None, ErrorKind::Stage2Abort, HealthAction::RestartPartition),
            HealthEntry::new(None, ErrorKind::DeadlineMiss, HealthAction::Log),
            HealthEntry::new(None, ErrorKind::TrappedOperation, HealthAction::HaltModule),
            HealthEntry::new(Some(1), ErrorKind::Stage2Abort, HealthAction::Log),
            HealthEntry::new(Some(1), ErrorKind::ApplicationError, HealthAction::HaltModule),
        ],
        regions: vec![
            RegionSpec {
                name: "telemetry".into(),
                phys_base: 0x2080_0000,
                size: 0x1_0000,
                ipa_base: 0x6000_0000,
                mappings: vec![
                    MappingSpec { partition: 0, access: RegionAccess::ReadWrite },
                    MappingSpec { partition: 2, access: RegionAccess::ReadOnly },
                ],
            },
            RegionSpec {
                name: "scratch".into(),
                phys_base: 0x2081_0000,
                size: 0x1000,
                ipa_base: 0x6000_0000,
                mappings: vec![MappingSpec { partition: 1, access: RegionAccess::ReadWrite }],
            },
        ],
        devices: vec![
            DeviceSpec {
                name: "mini-uart".into(),
                partition: 0,
                thread: 0,
                outside_window: OutsideWindow::Deliver,
                mmio: vec![MmioRange { base: 0xFE21_5000, size: 0x1000 }],
                interrupts: vec![125],
            },
            DeviceSpec {
                name: "gpio".into(),
                partition: 1,
                thread: 2,
                outside_window: OutsideWindow::Drop,
                mmio: vec![MmioRange { base: 0xFE20_0000, size: 0x1000 }],
                interrupts: vec![145, 146, 147, 148],
            },
        ],
    }
}

pub fn thread(name: &str, partition: u32, affinity: u32) -> ThreadSpec {
    ThreadSpec {
        name: name.into(),
        partition,
        affinity,
        priority: 10,
        period_ns: None,
        deadline_ns: None,
        stack_size: 0x4000,
    }
}

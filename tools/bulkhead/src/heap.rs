//! `bulkhead check` for partition heaps: `heap = "256KiB"` in a
//! `[[partition]]`, memory for the SDK's allocator (`bulkhead-sdk`, feature
//! `alloc`, which gives the partition `Vec`, `String`, `Box`...).
//!
//! The heap is carved from the partition's own memory, just below its
//! thread stacks (`bulkhead_image::heap_range`, the place the kernel
//! computes from the image at boot and passes to every thread in `x6`,
//! `x7`). Here, from the description alone: whole pages, and room for it
//! with the stacks and their guard pages. Whether it also leaves room for
//! the image is known only once `pack` has read the ELF file; `pack` asks
//! the kernel's own memory map (`MemoryMap::validate`, `HeapDoesNotFit`).

use std::ops::Range;

use bulkhead_image::{ImageSpec, STACK_GUARD_SIZE, heap_range};

use crate::check::{Checker, DEFAULT_STACK, stacks_ok_for};
use crate::desc::PartitionDesc;
use crate::diag::error;
use crate::layout::PAGE_SIZE;
use crate::units::fmt_size;

/// Bytes of a partition's stacks and their guard pages, as the description
/// gives them; `None` if a stack is invalid (reported on its own).
fn stacks_of(p: &PartitionDesc) -> Option<u64> {
    p.threads.iter().try_fold(0u64, |sum, t| {
        stacks_ok_for(t).then(|| {
            let stack = t.stack.as_ref().map_or(DEFAULT_STACK, |s| s.value);
            sum.saturating_add(stack).saturating_add(STACK_GUARD_SIZE)
        })
    })
}

/// Partition `id`'s heap as offsets in its memory, from a checked image
/// spec (the threads' stacks and the heap size); `None` for no heap.
pub fn heap_of(spec: &ImageSpec, id: usize) -> Option<Range<u64>> {
    let p = spec.partitions.get(id)?;
    let stacks = spec.threads.iter().filter(|t| t.partition as usize == id).map(|t| t.stack_size);
    heap_range(p.memory_size, stacks, p.heap_size)
}

impl Checker<'_> {
    /// Each partition's `heap`: whole pages, and room for it below the
    /// stacks.
    pub(crate) fn heaps(&mut self) {
        let d = self.desc;
        for p in &d.partitions {
            let Some(heap) = &p.heap else { continue };
            if heap.value == 0 {
                continue;
            }
            let pname = p.name.as_ref().map_or("?", |n| n.value.as_str());
            if !heap.value.is_multiple_of(PAGE_SIZE) {
                self.diags.push(
                    error(
                        heap.span.clone(),
                        format!("partition \"{pname}\" heap {} is not a multiple of 4KiB", fmt_size(heap.value)),
                    )
                    .hint(format!(
                        "use heap = \"{}\" (the heap is whole pages of the partition's memory)",
                        fmt_size(heap.value.next_multiple_of(PAGE_SIZE))
                    )),
                );
                continue;
            }
            // A memory size or a stack that is wrong is reported on its own.
            let (Some(mem), Some(stacks)) = (&p.memory, stacks_of(p)) else { continue };
            if mem.value == 0 || !mem.value.is_multiple_of(PAGE_SIZE) || stacks > mem.value {
                continue;
            }
            let needed = heap.value.saturating_add(stacks);
            if needed > mem.value {
                self.diags.push(
                    error(
                        heap.span.clone(),
                        format!(
                            "partition \"{pname}\" heap {} does not fit in its memory {} with its thread stacks and their guard pages ({}): {} in all, before its image",
                            fmt_size(heap.value),
                            fmt_size(mem.value),
                            fmt_size(stacks),
                            fmt_size(needed)
                        ),
                    )
                    .note(mem.span.clone(), "memory set here")
                    .hint(format!(
                        "raise memory to at least \"{}\" plus the image, or shrink the heap to at most \"{}\" less the image",
                        fmt_size(needed),
                        fmt_size(mem.value - stacks)
                    )),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIB: u64 = 1024;

    fn description(heap: &str) -> String {
        format!(
            "[module]\nname = \"m\"\nboard = \"rpi4\"\ncores = 2\n\
             [[partition]]\nname = \"a\"\nmemory = \"256KiB\"\nimage = \"a\"\n{heap}\n\
             [[partition.thread]]\nname = \"main\"\ncore = 0\n\
             [[partition.thread]]\nname = \"aux\"\ncore = 1\nstack = \"8KiB\"\n\
             [[schedule]]\nname = \"main\"\nmajor_frame = \"10ms\"\n\
             [[schedule.window]]\npartition = \"a\"\nduration = \"5ms\"\n"
        )
    }

    /// Below 16 KiB + 4 KiB + 8 KiB + 4 KiB of stacks and guard pages.
    #[test]
    fn the_heap_hangs_below_the_stacks() {
        let checked = crate::check::check(&description("heap = \"64KiB\""));
        let system = checked.system.expect("clean");
        assert_eq!(system.spec.partitions[0].heap_size, 64 * KIB);
        assert_eq!(heap_of(&system.spec, 0), Some(160 * KIB..224 * KIB));
    }

    #[test]
    fn no_heap_and_a_zero_heap_are_none() {
        for heap in ["", "heap = \"0B\""] {
            let system = crate::check::check(&description(heap)).system.expect("clean");
            assert_eq!(system.spec.partitions[0].heap_size, 0);
            assert_eq!(heap_of(&system.spec, 0), None);
        }
    }

    /// Exactly what is left beside the stacks fits (the image is `pack`'s
    /// question); a page more does not.
    #[test]
    fn a_heap_fits_beside_the_stacks_or_is_refused_with_the_sizes() {
        assert!(crate::check::check(&description("heap = \"224KiB\"")).system.is_some());
        let checked = crate::check::check(&description("heap = \"228KiB\""));
        assert!(checked.system.is_none());
        let text = format!("{:?}", checked.diags);
        assert!(
            text.contains(
                "partition \\\"a\\\" heap 228KiB does not fit in its memory 256KiB with its thread stacks and their guard pages (32KiB): 260KiB in all, before its image"
            ),
            "{text}"
        );
    }
}

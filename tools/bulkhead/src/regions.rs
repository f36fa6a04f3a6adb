//! `bulkhead check` for shared memory regions: `[[memory_region]]` (name,
//! size, optional `ipa` and `base`) and each partition's
//! `[[partition.memory_region]]` (which region, `read_only` or
//! `read_write`).
//!
//! A region's physical memory is placed with the partitions'
//! (`Checker::memory`, `layout::place`). Here: names, sizes, the regions a
//! partition lists (they exist, each once, at most
//! [`MAX_MEMORY_REGIONS`]), and the IPA every partition that maps a region
//! sees it at: the one `ipa` pins, or one the tool picks from
//! [`layout::REGION_IPA_BASE`] up, the same in all of them. Every
//! partition's memory lies below that base, so a picked IPA is clear of it;
//! a pinned one is checked against the memory of each partition that maps
//! the region and against the other regions those partitions map. The
//! kernel maps what is left (docs/DESIGN.md#memory-regions); the image
//! parser checks the same rules again.

use std::collections::HashMap;
use std::ops::Range;

use bulkhead_abi::MAX_MEMORY_REGIONS;
use bulkhead_image::{MappingSpec, RegionSpec};

use crate::check::{Checker, check_name, unique};
use crate::diag::{closest, error, warning};
use crate::layout::{self, PAGE_SIZE};
use crate::units::fmt_size;

/// One partition's listing of a region, resolved.
struct Use {
    partition: usize,
    /// The listing's `name` value.
    span: Range<usize>,
}

fn overlap(a: &Range<u64>, b: &Range<u64>) -> bool {
    a.start < b.end && b.start < a.end
}

fn fmt_range(r: &Range<u64>) -> String {
    format!("{:#x}..{:#x}", r.start, r.end)
}

impl Checker<'_> {
    /// Checks the regions and their listings; returns them resolved (IPA,
    /// physical base from `bases`, mappings) if no error was found.
    pub(crate) fn regions(&mut self, bases: &[Option<u64>]) -> Option<Vec<RegionSpec>> {
        let d = self.desc;
        let errors_before = self.diags.errors();
        for r in &d.regions {
            if let Some(name) = &r.name {
                check_name(name, "memory region", self.diags);
            }
        }
        let first = unique(d.regions.iter().filter_map(|r| r.name.as_ref()), "memory region", "", self.diags);
        let index: HashMap<&str, usize> = d
            .regions
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let name = r.name.as_ref()?;
                (first.get(name.value.as_str()) == Some(&name.span)).then_some((name.value.as_str(), i))
            })
            .collect();
        let rname = |i: usize| d.regions[i].name.as_ref().map_or("?", |n| n.value.as_str());
        let pname = |p: usize| d.partitions[p].name.as_ref().map_or("?", |n| n.value.as_str());

        // Sizes and pinned IPAs, one region at a time.
        let mut sizes: Vec<Option<u64>> = vec![None; d.regions.len()];
        let mut pinned: Vec<Option<u64>> = vec![None; d.regions.len()];
        for (i, r) in d.regions.iter().enumerate() {
            if let Some(size) = &r.size {
                if size.value == 0 {
                    self.diags.push(
                        error(size.span.clone(), format!("memory region \"{}\" has zero size", rname(i)))
                            .hint("give it whole pages, e.g. size = \"64KiB\""),
                    );
                } else if !size.value.is_multiple_of(PAGE_SIZE) {
                    self.diags.push(
                        error(
                            size.span.clone(),
                            format!(
                                "memory region \"{}\" size {} is not a multiple of the 4KiB page",
                                rname(i),
                                fmt_size(size.value)
                            ),
                        )
                        .hint(format!(
                            "round it up to size = \"{}\" (stage 2 maps whole pages)",
                            fmt_size(size.value.next_multiple_of(PAGE_SIZE))
                        )),
                    );
                } else {
                    sizes[i] = Some(size.value);
                }
            }
            let Some(ipa) = &r.ipa else { continue };
            if ipa.value < 0 || !(ipa.value as u64).is_multiple_of(PAGE_SIZE) {
                self.diags.push(
                    error(
                        ipa.span.clone(),
                        format!("memory region \"{}\" ipa {:#x} is not 4KiB aligned", rname(i), ipa.value),
                    )
                    .hint("use a multiple of 0x1000, or drop `ipa` and let the tool choose one"),
                );
                continue;
            }
            let start = ipa.value as u64;
            let Some(size) = sizes[i] else { continue };
            if start.saturating_add(size) > layout::IPA_LIMIT {
                self.diags.push(
                    error(
                        ipa.span.clone(),
                        format!(
                            "memory region \"{}\" at IPA {} is outside the {} a partition's stage 2 translates (IPA 0..{:#x})",
                            rname(i),
                            fmt_range(&(start..start.saturating_add(size))),
                            fmt_size(layout::IPA_LIMIT),
                            layout::IPA_LIMIT
                        ),
                    )
                    .hint("pick a lower `ipa`, or drop it and let the tool choose one"),
                );
                continue;
            }
            let gicc = bulkhead_abi::GICC_IPA..bulkhead_abi::GICC_IPA + bulkhead_abi::GICC_SIZE;
            if overlap(&(start..start + size), &gicc) {
                self.diags.push(
                    error(
                        ipa.span.clone(),
                        format!(
                            "memory region \"{}\" at IPA {} overlaps the GIC CPU interface every partition has at IPA {}",
                            rname(i),
                            fmt_range(&(start..start + size)),
                            fmt_range(&gicc)
                        ),
                    )
                    .hint(format!("pick an `ipa` below {:#x}, or drop it and let the tool choose one", layout::REGION_IPA_END)),
                );
                continue;
            }
            pinned[i] = Some(start);
        }

        // What each partition lists.
        let mut mappings: Vec<Vec<MappingSpec>> = vec![Vec::new(); d.regions.len()];
        let mut uses: Vec<Vec<Use>> = (0..d.regions.len()).map(|_| Vec::new()).collect();
        let mut unresolved = false;
        for (p, partition) in d.partitions.iter().enumerate() {
            let mut listed: HashMap<usize, Range<usize>> = HashMap::new();
            for u in &partition.regions {
                let Some(name) = &u.name else { continue };
                let Some(&i) = index.get(name.value.as_str()) else {
                    unresolved = true;
                    let declared: Vec<&str> = index.keys().copied().collect();
                    let hint = match closest(&name.value, declared.iter().copied()) {
                        Some(c) => format!("did you mean \"{c}\"?"),
                        None => format!("declare it with a [[memory_region]] named \"{}\"", name.value),
                    };
                    self.diags.push(
                        error(
                            name.span.clone(),
                            format!(
                                "partition \"{}\" lists memory region \"{}\", which does not exist",
                                pname(p),
                                name.value
                            ),
                        )
                        .hint(hint),
                    );
                    continue;
                };
                if let Some(earlier) = listed.get(&i) {
                    self.diags.push(
                        error(
                            name.span.clone(),
                            format!("partition \"{}\" lists memory region \"{}\" twice", pname(p), rname(i)),
                        )
                        .note(earlier.clone(), "first listed here")
                        .hint("list each region once, with the access the partition needs"),
                    );
                    continue;
                }
                listed.insert(i, name.span.clone());
                if let Some(access) = &u.access {
                    mappings[i].push(MappingSpec { partition: p as u32, access: access.value });
                }
                uses[i].push(Use { partition: p, span: name.span.clone() });
            }
            if listed.len() > MAX_MEMORY_REGIONS {
                self.diags.push(
                    error(
                        partition.name.as_ref().map_or(partition.span.clone(), |n| n.span.clone()),
                        format!(
                            "partition \"{}\" maps {} memory regions; the kernel maps at most {MAX_MEMORY_REGIONS} into one partition",
                            pname(p),
                            listed.len()
                        ),
                    )
                    .hint("merge some regions into one"),
                );
            }
        }
        // A listing that did not resolve may have meant an unused region;
        // warning about them then would only add noise.
        for (i, r) in d.regions.iter().enumerate() {
            if uses[i].is_empty() && !unresolved && index.values().any(|&j| j == i) {
                self.diags.push(
                    warning(
                        r.name.as_ref().map_or(r.span.clone(), |n| n.span.clone()),
                        format!("memory region \"{}\" is declared but no partition maps it", rname(i)),
                    )
                    .hint("list it with a [[partition.memory_region]] in the partitions that share it, or remove it"),
                );
            }
        }

        // A pinned IPA must be clear of the memory of every partition
        // that maps the region.
        for (i, r) in d.regions.iter().enumerate() {
            let (Some(start), Some(size), Some(ipa)) = (pinned[i], sizes[i], &r.ipa) else { continue };
            let range = start..start + size;
            for u in &uses[i] {
                let Some(memory) = &d.partitions[u.partition].memory else { continue };
                let own = layout::PARTITION_IPA_BASE..layout::PARTITION_IPA_BASE + memory.value;
                if overlap(&range, &own) {
                    self.diags.push(
                        error(
                            ipa.span.clone(),
                            format!(
                                "memory region \"{}\" at IPA {} overlaps the memory of partition \"{}\" (IPA {}), which maps it",
                                rname(i),
                                fmt_range(&range),
                                pname(u.partition),
                                fmt_range(&own)
                            ),
                        )
                        .note(u.span.clone(), format!("partition \"{}\" maps it here", pname(u.partition)))
                        .hint(format!(
                            "pick an `ipa` at or above {:#x}, or drop it and let the tool choose one",
                            own.end.next_multiple_of(PAGE_SIZE)
                        )),
                    );
                }
            }
        }

        // Default IPAs: first fit from REGION_IPA_BASE, 2 MiB aligned (so a
        // large region can be mapped with blocks), clear of every pinned
        // region and every region placed before it: the same in every
        // partition, and clear of all partition memory, which lies below,
        // and of devices and the GIC CPU interface, which lie above
        // REGION_IPA_END.
        let mut ipas = pinned.clone();
        let mut taken: Vec<Range<u64>> =
            (0..d.regions.len()).filter_map(|i| Some(pinned[i]?..pinned[i]? + sizes[i]?)).collect();
        for i in 0..d.regions.len() {
            let (None, None, Some(size)) = (&d.regions[i].ipa, pinned[i], sizes[i]) else { continue };
            taken.sort_by_key(|r| r.start);
            let mut candidate = layout::REGION_IPA_BASE;
            for t in &taken {
                if overlap(&(candidate..candidate + size), t) {
                    candidate = candidate.max(t.end.next_multiple_of(layout::PARTITION_ALIGN));
                }
            }
            if candidate + size > layout::REGION_IPA_END {
                self.diags.push(
                    error(
                        d.regions[i].span.clone(),
                        format!(
                            "memory region \"{}\" ({}) finds no room in the IPA space {:#x}..{:#x} (the peripherals, devices and GIC CPU interface lie above)",
                            rname(i),
                            fmt_size(size),
                            layout::REGION_IPA_BASE,
                            layout::REGION_IPA_END
                        ),
                    )
                    .hint("shrink the regions"),
                );
                continue;
            }
            ipas[i] = Some(candidate);
            taken.push(candidate..candidate + size);
        }

        // Two regions a partition maps must not share an IPA there (only
        // pinned ones can).
        for j in 0..d.regions.len() {
            for i in 0..j {
                let (Some(a), Some(b), Some(sa), Some(sb)) = (ipas[i], ipas[j], sizes[i], sizes[j]) else { continue };
                let (ra, rb) = (a..a + sa, b..b + sb);
                if !overlap(&ra, &rb) {
                    continue;
                }
                let Some(shared) = uses[j].iter().find(|u| uses[i].iter().any(|v| v.partition == u.partition)) else {
                    continue;
                };
                let span_of =
                    |k: usize| d.regions[k].ipa.as_ref().map_or(d.regions[k].span.clone(), |ipa| ipa.span.clone());
                self.diags.push(
                    error(
                        span_of(j),
                        format!(
                            "memory regions \"{}\" (IPA {}) and \"{}\" (IPA {}) overlap in partition \"{}\", which maps both",
                            rname(j),
                            fmt_range(&rb),
                            rname(i),
                            fmt_range(&ra),
                            pname(shared.partition)
                        ),
                    )
                    .note(span_of(i), format!("memory region \"{}\" is here", rname(i)))
                    .hint("move one `ipa`, or drop it and let the tool choose one"),
                );
            }
        }

        if self.diags.errors() > errors_before {
            return None;
        }
        d.regions
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Some(RegionSpec {
                    name: r.name.as_ref()?.value.clone(),
                    phys_base: (*bases.get(i)?)?,
                    size: sizes[i]?,
                    ipa_base: ipas[i]?,
                    mappings: std::mem::take(&mut mappings[i]),
                })
            })
            .collect()
    }
}

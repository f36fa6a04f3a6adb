//! The `bulkhead` command line: `check`, `show`, `pack`, `trace` and `log` over a
//! system description. See `tools/bulkhead/README.md` for the description format.

use std::path::PathBuf;
use std::process::ExitCode;

use bulkhead::check::{BOARDS, Checked, System, check};
use bulkhead::log::{Tables, decode_log};
use bulkhead::pack::{PackOptions, pack};
use bulkhead::show::{health_text, render_svg, render_text};
use bulkhead::trace::{Span, build_model, parse_log, render_json, render_timelines};
use bulkhead::trace_check::{Bounds, check_trace};
use bulkhead::trace_port::{PortDecoder, decode_capture};
use bulkhead::trace_svg::render_trace_svg;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bulkhead",
    version,
    about = "Check, show and pack a Bulkhead system description; decode and check a switch trace; decode defmt logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a description and report every problem.
    Check {
        /// The system description (TOML).
        file: PathBuf,
    },
    /// Print the schedules and per-core frame tables; optionally draw one.
    Show {
        /// The system description (TOML).
        file: PathBuf,
        /// Write an SVG timeline of one major frame here.
        #[arg(long, value_name = "OUT")]
        svg: Option<PathBuf>,
        /// Schedule to draw (default: the initial one).
        #[arg(long, value_name = "NAME")]
        schedule: Option<String>,
    },
    /// Write the binary system image (and IMAGE.report.txt beside it).
    Pack {
        /// The system description (TOML).
        file: PathBuf,
        /// The image to write.
        #[arg(long, value_name = "IMAGE")]
        out: PathBuf,
        /// Raw kernel binary: output is kernel + padding to 4 KiB + system image.
        #[arg(long, value_name = "KERNEL_BIN")]
        kernel: Option<PathBuf>,
        /// Folder of built partition ELF files (default: the workspace's
        /// target/aarch64-unknown-none/release).
        #[arg(long, value_name = "DIR")]
        elf_dir: Option<PathBuf>,
        /// Console speed for this image instead of the description's
        /// `console_baud` (checked as that is): the same system with a
        /// faster or slower console, without editing the description.
        #[arg(long, value_name = "BAUD")]
        console_baud: Option<u32>,
    },
    /// Decode the kernel's switch trace from a log of its `trace:` lines or
    /// a capture of its trace port: per-core timelines, SVG, Perfetto JSON,
    /// and a timing check against the plan.
    Trace {
        /// The system description (TOML) the traced image was packed from.
        file: PathBuf,
        /// A text log holding the `trace:` lines among any others (what the
        /// QEMU test runner keeps), or, with --elf, a capture of the trace
        /// port (the mini UART, QEMU's second -serial).
        log: PathBuf,
        /// LOG is a capture of the trace port: the kernel's defmt frames,
        /// decoded with the `.defmt` table of this ELF, the traced kernel
        /// that ran (e.g. target/aarch64-unknown-none-softfloat/release/bulkhead-traced).
        #[arg(long, value_name = "KERNEL_ELF")]
        elf: Option<PathBuf>,
        /// Write an SVG of what really ran over the span.
        #[arg(long, value_name = "OUT")]
        svg: Option<PathBuf>,
        /// Write Chrome / Perfetto trace JSON of the whole run.
        #[arg(long, value_name = "OUT")]
        json: Option<PathBuf>,
        /// Compare with the plan: lateness, skew, the rendezvous, and the
        /// isolation rules (any overlap of two partitions fails); exit
        /// status 1 on any failure.
        #[arg(long)]
        check: bool,
        /// Major frames (of the initial schedule) to print and draw.
        #[arg(long, value_name = "N", default_value_t = 2)]
        frames: u64,
        /// First major frame to print and draw.
        #[arg(long, value_name = "K", default_value_t = 0)]
        start_frame: u64,
        /// With --check: list every boundary, not only those in the span.
        #[arg(long)]
        every_boundary: bool,
        /// With --check: fail if a core switches more than N ticks after a
        /// planned boundary.
        #[arg(long, value_name = "N")]
        max_lateness_ticks: Option<u64>,
        /// With --check: fail if the cores' switches for one boundary are
        /// more than N ticks apart.
        #[arg(long, value_name = "N")]
        max_skew_ticks: Option<u64>,
        /// With --check: bound the kernel's part of every boundary's
        /// lateness (EL2 entry to decision, and the first core's entry after
        /// the boundary) by the sum of the cores' median own paths measured
        /// in this log; needs the traced kernel's `<entered>` stamps.
        #[arg(long)]
        derived_bounds: bool,
        /// With --derived-bounds: the log is from QEMU with -icount, whose
        /// vCPUs run one at a time; time other cores spent in their guests
        /// inside a core's own path is left out of it (never for a real
        /// board's log).
        #[arg(long)]
        serial_vcpus: bool,
    },
    /// Decode the partitions' defmt frames (`@` lines) in a console log
    /// with their ELF files; every other line passes through unchanged.
    Log {
        /// The system description (TOML) the image was packed from.
        file: PathBuf,
        /// The console log.
        log: PathBuf,
        /// Folder of the partition ELF files the image was packed with
        /// (default: the workspace's target/aarch64-unknown-none/release).
        #[arg(long, value_name = "DIR")]
        elf_dir: Option<PathBuf>,
    },
}

/// Read and check `file`, print its diagnostics to stderr; the system if
/// there is no error.
fn load(file: &PathBuf, always_summarise: bool) -> Result<System, ExitCode> {
    let source = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return Err(ExitCode::from(2));
        }
    };
    let Checked { system, diags } = check(&source);
    if always_summarise || diags.errors() + diags.warnings() > 0 {
        eprint!("{}", diags.render(&file.display().to_string(), &source));
    }
    system.ok_or(ExitCode::FAILURE)
}

/// Options of `bulkhead trace`.
struct TraceArgs {
    file: PathBuf,
    log: PathBuf,
    elf: Option<PathBuf>,
    svg: Option<PathBuf>,
    json: Option<PathBuf>,
    check: bool,
    span: Span,
    every_boundary: bool,
    bounds: Bounds,
}

fn trace(args: TraceArgs) -> ExitCode {
    let sys = match load(&args.file, false) {
        Ok(sys) => sys,
        Err(code) => return code,
    };
    let mut name = args.log.display().to_string();
    let bytes = match std::fs::read(&args.log) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("error: cannot read {name}: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match &args.elf {
        Some(elf) => match decode_port(&name, &bytes, elf) {
            Ok(text) => {
                // parse_log's errors then name the frame: `LOG frame:N`.
                name.push_str(" frame");
                text
            }
            Err(code) => return code,
        },
        None if bytes.contains(&0) && !bytes.windows(12).any(|w| w == b"trace: begin") => {
            eprintln!(
                "error: {name} holds 0x00 bytes and no `trace: begin` line: a capture of the trace port (defmt frames)? Decode it with --elf KERNEL_ELF, the traced kernel that ran"
            );
            return ExitCode::FAILURE;
        }
        // A console log may hold stray bytes (a partition's garbage, a cut
        // UTF-8 sequence): they cannot be in a `trace:` line we accept.
        None => String::from_utf8_lossy(&bytes).into_owned(),
    };
    let model = match parse_log(&name, &text).and_then(|log| build_model(&sys, log, &name)) {
        Ok(m) => m,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            eprintln!(
                "{name}: {} {}, trace not decoded",
                errors.len(),
                bulkhead::diag::plural(errors.len(), "error", "errors")
            );
            return ExitCode::FAILURE;
        }
    };
    print!("{}", render_timelines(&model, args.span));
    let mut code = ExitCode::SUCCESS;
    for (out, what) in [(&args.svg, "svg"), (&args.json, "json")] {
        let Some(out) = out else { continue };
        let body = if what == "svg" { render_trace_svg(&model, args.span) } else { render_json(&model) };
        match std::fs::write(out, body) {
            Ok(()) => eprintln!("wrote {}", out.display()),
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", out.display());
                code = ExitCode::FAILURE;
            }
        }
    }
    if args.check {
        let report = check_trace(&model, args.bounds, args.span, args.every_boundary);
        println!();
        print!("{}", report.text);
        if report.problems > 0 {
            code = ExitCode::FAILURE;
        }
    }
    code
}

/// A capture of the trace port, decoded with the kernel ELF `elf`: the
/// `trace:` lines, one per frame. Every frame that does not decode is
/// reported (with its byte offset) and fails the run; a frame cut short at
/// the end of the capture is noted and ignored.
fn decode_port(name: &str, bytes: &[u8], elf: &std::path::Path) -> Result<String, ExitCode> {
    let elf_name = elf.display().to_string();
    let mut decoder = match std::fs::read(elf) {
        Ok(elf) => PortDecoder::from_elf(&elf_name, &elf),
        Err(e) => Err(format!("cannot read {elf_name}: {e}")),
    }
    .map_err(|e| {
        eprintln!("error: {e}");
        ExitCode::from(2)
    })?;
    let capture = decode_capture(&mut decoder, name, bytes);
    for e in &capture.errors {
        eprintln!("error: {e}");
    }
    if !capture.errors.is_empty() {
        eprintln!(
            "{name}: {} frames decoded, {} do not decode with {elf_name}; trace not decoded",
            capture.frames,
            capture.errors.len()
        );
        return Err(ExitCode::FAILURE);
    }
    if let Some((len, at)) = capture.unfinished {
        eprintln!(
            "note: {name} ends inside a frame ({len} bytes from byte {at}; the writer stopped mid-frame): ignored"
        );
    }
    Ok(capture.text)
}

/// `bulkhead log`: the decoded log on stdout; each malformed `@` line on
/// stderr with its line number (kept as it was on stdout); status 1 if any.
fn log(file: PathBuf, log: PathBuf, elf_dir: Option<PathBuf>) -> ExitCode {
    let sys = match load(&file, false) {
        Ok(sys) => sys,
        Err(code) => return code,
    };
    let name = log.display().to_string();
    let text = match std::fs::read(&log) {
        // Stray bytes cannot be in a well-formed `@` line; keep the rest.
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            eprintln!("error: cannot read {name}: {e}");
            return ExitCode::from(2);
        }
    };
    let mut tables = Tables::new(&sys, file, elf_dir);
    let decoded = decode_log(&mut tables, &name, &text);
    print!("{}", decoded.text);
    for e in &decoded.errors {
        eprintln!("error: {e}");
    }
    if decoded.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!("{name}: {} frames decoded, {} malformed", decoded.frames, decoded.errors.len());
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Log { file, log: path, elf_dir } => log(file, path, elf_dir),
        Command::Trace {
            file,
            log,
            elf,
            svg,
            json,
            check,
            frames,
            start_frame,
            every_boundary,
            max_lateness_ticks,
            max_skew_ticks,
            derived_bounds,
            serial_vcpus,
        } => trace(TraceArgs {
            file,
            log,
            elf,
            svg,
            json,
            check,
            span: Span { start_frame, frames: frames.max(1) },
            every_boundary,
            bounds: Bounds { max_lateness_ticks, max_skew_ticks, derived: derived_bounds, serial: serial_vcpus },
        }),
        Command::Check { file } => match load(&file, true) {
            Ok(_) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Command::Show { file, svg, schedule } => {
            let sys = match load(&file, false) {
                Ok(sys) => sys,
                Err(code) => return code,
            };
            match render_text(&sys) {
                Ok(text) => print!("{text}\n{}", health_text(&sys.spec)),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
            if let Some(out) = svg {
                let index = match &schedule {
                    None => sys.spec.schedules.iter().position(|s| s.initial).unwrap_or(0),
                    Some(name) => match sys.spec.schedules.iter().position(|s| &s.name == name) {
                        Some(i) => i,
                        None => {
                            let names: Vec<&str> = sys.spec.schedules.iter().map(|s| s.name.as_str()).collect();
                            eprintln!("error: no schedule \"{name}\"; schedules: {}", names.join(", "));
                            return ExitCode::FAILURE;
                        }
                    },
                };
                match render_svg(&sys, index).map(|svg| std::fs::write(&out, svg)) {
                    Ok(Ok(())) => eprintln!("wrote {}", out.display()),
                    Ok(Err(e)) => {
                        eprintln!("error: cannot write {}: {e}", out.display());
                        return ExitCode::FAILURE;
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        return ExitCode::FAILURE;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        Command::Pack { file, out, kernel, elf_dir, console_baud } => {
            let mut sys = match load(&file, false) {
                Ok(sys) => sys,
                Err(code) => return code,
            };
            if let Some(rate) = console_baud {
                let board = BOARDS.iter().find(|b| b.name == sys.board).expect("a checked system's board is known");
                if let Err(why) = board.console_rate(rate) {
                    eprintln!("error: --console-baud {rate}: {why}");
                    return ExitCode::from(2);
                }
                sys.spec.module.console_baud = rate;
            }
            let opts = PackOptions { description: file, out, kernel, elf_dir };
            match pack(&mut sys, &opts) {
                Ok(p) => {
                    eprintln!(
                        "wrote {} ({} bytes; system image {} bytes at offset {:#x}) and {}",
                        opts.out.display(),
                        p.total_len,
                        p.image_len,
                        p.image_offset,
                        p.report.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    eprintln!(
                        "{}: {} {}, image not written",
                        opts.description.display(),
                        errors.len(),
                        bulkhead::diag::plural(errors.len(), "error", "errors")
                    );
                    ExitCode::FAILURE
                }
            }
        }
    }
}

//! The `bulkhead` command line: `check`, `show` and `pack` over a system
//! description. See `tools/bulkhead/README.md` for the description format.

use std::path::PathBuf;
use std::process::ExitCode;

use bulkhead::check::{Checked, System, check};
use bulkhead::pack::{PackOptions, pack};
use bulkhead::show::{render_svg, render_text};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bulkhead",
    version,
    about = "Check, show and pack a Bulkhead system description"
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { file } => match load(&file, true) {
            Ok(_) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Command::Show {
            file,
            svg,
            schedule,
        } => {
            let sys = match load(&file, false) {
                Ok(sys) => sys,
                Err(code) => return code,
            };
            match render_text(&sys) {
                Ok(text) => print!("{text}"),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::FAILURE;
                }
            }
            if let Some(out) = svg {
                let index = match &schedule {
                    None => sys
                        .spec
                        .schedules
                        .iter()
                        .position(|s| s.initial)
                        .unwrap_or(0),
                    Some(name) => match sys.spec.schedules.iter().position(|s| &s.name == name) {
                        Some(i) => i,
                        None => {
                            let names: Vec<&str> =
                                sys.spec.schedules.iter().map(|s| s.name.as_str()).collect();
                            eprintln!(
                                "error: no schedule \"{name}\"; schedules: {}",
                                names.join(", ")
                            );
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
        Command::Pack {
            file,
            out,
            kernel,
            elf_dir,
        } => {
            let mut sys = match load(&file, false) {
                Ok(sys) => sys,
                Err(code) => return code,
            };
            let opts = PackOptions {
                description: file,
                out,
                kernel,
                elf_dir,
            };
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
                        "{}: {} errors, image not written",
                        opts.description.display(),
                        errors.len()
                    );
                    ExitCode::FAILURE
                }
            }
        }
    }
}

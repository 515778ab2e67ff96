//! KOS boards as data. Each folder of `boards/` is one board, described by its
//! `board.toml`: the kernel it runs on (`sel4` or `linux`), architecture and platform,
//! memory, which device backends apply, how the seL4 kernel is built for it (seL4 5.0's
//! make variables and every kernel option, each with what it means) and how a system
//! on it is run (QEMU, hosted, or not yet). The kernel's configuration header is made
//! from the options ([`Board::autoconf_h`]), never written by hand.
//!
//! ```
//! let board = kos_boards::find("qemu-x86_64").unwrap();
//! assert_eq!(board.platform, "pc99");
//! assert!(board.autoconf_h().contains("#define CONFIG_XAPIC 1"));
//! ```

use std::collections::BTreeMap;
use std::fmt::{self, Write};

use serde::Deserialize;

mod files {
    include!(concat!(env!("OUT_DIR"), "/boards.rs"));
}

/// The kernel a board runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kernel {
    /// seL4, built from the `sel4-sys` package's kernel tree.
    Sel4,
    /// Linux: the hosted environment.
    Linux,
}

/// How a system on the board is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// Booted in QEMU with [`Run::command`].
    Qemu,
    /// Linux processes under `kos run`.
    Hosted,
    /// Not runnable yet (the reason is in the board file).
    NotYet,
}

/// The kernel image a board boots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Image {
    /// The ELF the kernel build makes.
    Elf,
    /// A 32-bit copy (`objcopy -O elf32-i386`), for QEMU's multiboot loader.
    Elf32I386,
}

/// How seL4 is built for a board.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Build {
    /// seL4 5.0's Makefile variables (`ARCH`, `PLAT`, `CPU`, …).
    pub make: BTreeMap<String, String>,
    /// Extra C compiler flags.
    #[serde(default)]
    pub cflags: Vec<String>,
    /// The image to boot.
    pub image: Image,
}

/// How a board runs a system.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Run {
    /// QEMU, hosted, or not yet.
    pub how: How,
    /// The QEMU command line before `-kernel` and `-initrd`.
    #[serde(default)]
    pub command: Vec<String>,
    /// The I/O port of QEMU's exit device, if it has one.
    pub exit_port: Option<u16>,
}

/// One seL4 kernel option.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelOption {
    /// `CONFIG_…`, as seL4's `autoconf.h` names it.
    pub name: String,
    /// Its value; absent for an option that is simply on (`1`).
    pub value: Option<u64>,
    /// What it means, in a phrase.
    pub means: String,
}

impl KernelOption {
    /// The value the header defines.
    pub fn value(&self) -> u64 {
        self.value.unwrap_or(1)
    }
}

/// A board.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Board {
    /// Its name: the folder's.
    pub name: String,
    /// A line about it.
    pub description: String,
    /// seL4 or Linux.
    pub kernel: Kernel,
    /// `x86_64`, `armv7`, or `host`.
    pub arch: String,
    /// seL4's platform name (`pc99`, `am335x`, `imx6`), or `linux`.
    pub platform: String,
    /// RAM, MiB (0: the host's).
    pub memory_mib: u32,
    /// I2C backends an `i2c_bus` node may name on this board.
    pub i2c_backends: Vec<String>,
    /// CAN backends a `can_bus` node may name on this board.
    pub can_backends: Vec<String>,
    /// How the kernel is built (seL4 boards).
    pub build: Option<Build>,
    /// How a system runs.
    pub run: Run,
    /// The kernel options, in header order.
    #[serde(default)]
    pub option: Vec<KernelOption>,
}

/// Why a board is not there or not well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoardError {
    /// No board of that name; the known ones are listed.
    Unknown {
        /// What was asked for.
        name: String,
        /// The boards there are.
        known: Vec<String>,
    },
    /// A board file that breaks the format.
    Invalid {
        /// The board's folder.
        board: String,
        /// What is wrong.
        detail: String,
    },
}

impl fmt::Display for BoardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BoardError::Unknown { name, known } => {
                write!(f, "no board `{name}`; the boards are {}", known.join(", "))
            }
            BoardError::Invalid { board, detail } => {
                write!(f, "boards/{board}/board.toml: {detail}")
            }
        }
    }
}

impl std::error::Error for BoardError {}

impl Board {
    /// Reads and checks a board file; `folder` names it in errors and must equal
    /// its `name`.
    pub fn parse(folder: &str, text: &str) -> Result<Board, BoardError> {
        let invalid = |detail: String| BoardError::Invalid {
            board: folder.to_string(),
            detail,
        };
        let board: Board = toml::from_str(text).map_err(|e| invalid(e.message().to_string()))?;
        if board.name != folder {
            return Err(invalid(format!(
                "name `{}` is not the folder's (`{folder}`)",
                board.name
            )));
        }
        for (i, o) in board.option.iter().enumerate() {
            let well_named = o.name.starts_with("CONFIG_")
                && o.name[7..]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
            if !well_named {
                return Err(invalid(format!(
                    "option `{}` is not a CONFIG_ name",
                    o.name
                )));
            }
            if board.option[..i].iter().any(|p| p.name == o.name) {
                return Err(invalid(format!("option `{}` is given twice", o.name)));
            }
        }
        match (board.kernel, &board.build) {
            (Kernel::Sel4, None) => Err(invalid("an seL4 board needs a [build] table".into())),
            (Kernel::Linux, Some(_)) | (Kernel::Linux, None) if !board.option.is_empty() => {
                Err(invalid("a Linux board has no kernel options".into()))
            }
            _ if board.run.how == How::Qemu && board.run.command.is_empty() => {
                Err(invalid("run.how = \"qemu\" needs run.command".into()))
            }
            _ => Ok(board),
        }
    }

    /// The value of kernel option `name`, if the board sets it.
    pub fn option(&self, name: &str) -> Option<u64> {
        self.option
            .iter()
            .find(|o| o.name == name)
            .map(|o| o.value())
    }

    /// seL4's configuration header for this board: every option, with what it means.
    pub fn autoconf_h(&self) -> String {
        let mut out = format!(
            "/* seL4 kernel configuration of the board `{}`, made from boards/{}/board.toml\n * by kos-boards: edit the board file, not this header. */\n#ifndef KOS_BOARD_AUTOCONF_H\n#define KOS_BOARD_AUTOCONF_H\n#define AUTOCONF_INCLUDED\n",
            self.name, self.name
        );
        for o in &self.option {
            let _ = writeln!(out, "/* {} */\n#define {} {}", o.means, o.name, o.value());
        }
        out.push_str("#endif\n");
        out
    }
}

/// Every board, by name.
pub fn all() -> Result<Vec<Board>, BoardError> {
    files::FILES
        .iter()
        .map(|(folder, text)| Board::parse(folder, text))
        .collect()
}

/// The board `name`.
pub fn find(name: &str) -> Result<Board, BoardError> {
    match files::FILES.iter().find(|(folder, _)| *folder == name) {
        Some((folder, text)) => Board::parse(folder, text),
        None => Err(BoardError::Unknown {
            name: name.to_string(),
            known: files::FILES.iter().map(|(f, _)| f.to_string()).collect(),
        }),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn every_board_file_is_well_formed_and_the_four_boards_are_there() {
        let boards = all().unwrap();
        let names: Vec<_> = boards.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(
            names,
            ["beaglebone-black", "hosted", "qemu-x86_64", "sabre"]
        );
        for b in &boards {
            assert_eq!(b.build.is_some(), b.kernel == Kernel::Sel4, "{}", b.name);
        }
    }

    #[test]
    fn the_header_defines_every_option_and_says_what_it_means() {
        let qemu = find("qemu-x86_64").unwrap();
        let h = qemu.autoconf_h();
        assert!(h.contains("/* machine word, bits */\n#define CONFIG_WORD_SIZE 64\n"));
        assert!(h.contains("#define CONFIG_XAPIC 1\n"));
        assert_eq!(h.matches("#define CONFIG_").count(), qemu.option.len());
        assert_eq!(qemu.option("CONFIG_ROOT_CNODE_SIZE_BITS"), Some(14));
        assert_eq!(qemu.option("CONFIG_X2APIC"), None);
    }

    #[test]
    fn broken_board_files_name_the_board_and_the_fault() {
        let bad = |text: &str| Board::parse("b", text).unwrap_err().to_string();
        let base = "name = \"b\"\ndescription = \"\"\nkernel = \"sel4\"\narch = \"x86_64\"\nplatform = \"pc99\"\nmemory_mib = 1\ni2c_backends = []\ncan_backends = []\n[run]\nhow = \"not-yet\"\n";
        assert!(bad(base).contains("boards/b/board.toml: an seL4 board needs a [build] table"));
        let built = format!("{base}[build]\nmake = {{}}\nimage = \"elf\"\n");
        assert!(Board::parse("b", &built).is_ok());
        let twice = format!("{built}[[option]]\nname = \"CONFIG_A\"\nmeans = \"\"\n[[option]]\nname = \"CONFIG_A\"\nmeans = \"\"\n");
        assert!(bad(&twice).contains("option `CONFIG_A` is given twice"));
        let lower = format!("{built}[[option]]\nname = \"CONFIG_a\"\nmeans = \"\"\n");
        assert!(bad(&lower).contains("not a CONFIG_ name"));
        assert!(bad(&format!("{built}colour = \"red\"\n")).contains("unknown field"));
        assert!(Board::parse("c", &built)
            .unwrap_err()
            .to_string()
            .contains("is not the folder's"));
        assert!(find("pdp11")
            .unwrap_err()
            .to_string()
            .contains("the boards are beaglebone-black, hosted, qemu-x86_64, sabre"));
    }
}

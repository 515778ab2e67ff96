//! Wire test vectors: the Rust protocol crates are the source of every encoding that
//! the Elixir library speaks too, and this crate is how they say so.
//!
//! A protocol crate's `vectors` test builds [`Term`]s from its real constants,
//! encoders and decoders, and calls [`check`], which compares them with the checked-in
//! file `test/vectors/<name>.terms`. That file is Erlang term text, one term and a
//! full stop per line, so ExUnit reads it with `:file.consult/1` and asserts the
//! Elixir side encodes and decodes the same bytes. A change on either side alone
//! fails CI: Rust's test if the file no longer matches the Rust code, ExUnit if the
//! Elixir code no longer matches the file. To change the contract, change the Rust
//! code, rewrite the file with `KOS_UPDATE_VECTORS=1 cargo test -p <crate> vectors`,
//! then make the Elixir suite pass.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

/// An Erlang term, as much of the term syntax as the vectors need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// `name`: written as is, so only lowercase snake-case names (checked).
    Atom(String),
    /// An integer of any sign.
    Int(i128),
    /// `<<1,2,3>>`.
    Bytes(Vec<u8>),
    /// `<<"text">>`: a UTF-8 binary, as Elixir strings are.
    Text(String),
    /// `{a, b}`.
    Tuple(Vec<Term>),
    /// `[a, b]`.
    List(Vec<Term>),
    /// `#{k => v}`, in the order given.
    Map(Vec<(Term, Term)>),
}

/// An atom; panics unless `name` is lowercase snake case (a plain Erlang atom).
pub fn atom(name: &str) -> Term {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    assert!(plain, "not a plain atom: {name:?}");
    Term::Atom(name.to_owned())
}

/// An integer.
pub fn int(n: impl Into<i128>) -> Term {
    Term::Int(n.into())
}

/// `true` or `false`.
pub fn boolean(b: bool) -> Term {
    atom(if b { "true" } else { "false" })
}

/// A binary of raw bytes.
pub fn bytes(b: &[u8]) -> Term {
    Term::Bytes(b.to_vec())
}

/// A UTF-8 binary.
pub fn text(s: &str) -> Term {
    Term::Text(s.to_owned())
}

/// A tuple.
pub fn tuple(items: impl IntoIterator<Item = Term>) -> Term {
    Term::Tuple(items.into_iter().collect())
}

/// A list.
pub fn list(items: impl IntoIterator<Item = Term>) -> Term {
    Term::List(items.into_iter().collect())
}

/// A map whose keys are atoms.
pub fn record<'a>(fields: impl IntoIterator<Item = (&'a str, Term)>) -> Term {
    Term::Map(fields.into_iter().map(|(k, v)| (atom(k), v)).collect())
}

/// A map.
pub fn map(pairs: impl IntoIterator<Item = (Term, Term)>) -> Term {
    Term::Map(pairs.into_iter().collect())
}

/// `{statuses, #{Label => atom}}`: every status of a protocol but success (label 0),
/// by the snake-case atom the Elixir library returns for it.
pub fn failure_statuses<S: kos_service::Status>(all: &[S]) -> Term {
    tuple([
        atom("statuses"),
        map(all
            .iter()
            .filter(|s| s.label() != 0)
            .map(|s| (int(s.label()), atom(&snake(s.name()))))),
    ])
}

/// Snake case of a Rust variant name: `NackAddress` → `nack_address`.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Atom(a) => f.write_str(a),
            Term::Int(n) => write!(f, "{n}"),
            Term::Bytes(b) => {
                f.write_str("<<")?;
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{byte}")?;
                }
                f.write_str(">>")
            }
            Term::Text(s) => {
                f.write_str("<<\"")?;
                for c in s.chars() {
                    match c {
                        '"' | '\\' => write!(f, "\\{c}")?,
                        c if c.is_control() => write!(f, "\\x{{{:x}}}", c as u32)?,
                        c => f.write_char(c)?,
                    }
                }
                f.write_str("\"/utf8>>")
            }
            Term::Tuple(items) => sequence(f, "{", items, "}"),
            Term::List(items) => sequence(f, "[", items, "]"),
            Term::Map(pairs) => {
                f.write_str("#{")?;
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} => {v}")?;
                }
                f.write_str("}")
            }
        }
    }
}

fn sequence(f: &mut fmt::Formatter<'_>, open: &str, items: &[Term], close: &str) -> fmt::Result {
    f.write_str(open)?;
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{item}")?;
    }
    f.write_str(close)
}

/// The file text: a header naming the source, then one term a line.
pub fn render(source: &str, terms: &[Term]) -> String {
    let mut out = format!(
        "%% Wire vectors of {source}, written by its `vectors` test: do not edit by hand.\n\
         %% Rewrite with KOS_UPDATE_VECTORS=1 cargo test vectors; read by the Elixir suites.\n"
    );
    for term in terms {
        writeln!(out, "{term}.").unwrap();
    }
    out
}

/// Where the vectors named `name` live: `test/vectors/<name>.terms`.
pub fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("{name}.terms"))
}

/// Compares `terms` with the checked-in file `name`, or rewrites it when
/// `KOS_UPDATE_VECTORS` is set. Panics, naming the first line that differs, on drift.
pub fn check(name: &str, source: &str, terms: &[Term]) {
    let want = render(source, terms);
    let file = path(name);
    if std::env::var_os("KOS_UPDATE_VECTORS").is_some() {
        std::fs::write(&file, &want).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        return;
    }
    let have = std::fs::read_to_string(&file).unwrap_or_default();
    if have == want {
        return;
    }
    let line = have
        .lines()
        .zip(want.lines())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
    panic!(
        "{} no longer matches {source} (first difference at line {}):\n  file: {}\n  code: {}\n\
         If the wire contract changed on purpose, rewrite the file with \
         KOS_UPDATE_VECTORS=1 cargo test vectors and bring the Elixir library in line.",
        file.display(),
        line + 1,
        have.lines().nth(line).unwrap_or("(end of file)"),
        want.lines().nth(line).unwrap_or("(end of file)"),
    );
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn terms_are_written_in_erlang_syntax() {
        let t = tuple([
            atom("frame"),
            record([("id", int(0x7DF)), ("remote", boolean(false))]),
            bytes(&[1, 255]),
            list([text("a\"b"), int(-3)]),
        ]);
        assert_eq!(
            t.to_string(),
            r#"{frame, #{id => 2015, remote => false}, <<1,255>>, [<<"a\"b"/utf8>>, -3]}"#
        );
    }

    #[test]
    fn variant_names_become_snake_case_atoms() {
        assert_eq!(snake("NackAddress"), "nack_address");
        assert_eq!(snake("Ok"), "ok");
    }

    #[test]
    #[should_panic(expected = "not a plain atom")]
    fn atoms_that_would_need_quoting_are_refused() {
        atom("Bad Atom");
    }
}

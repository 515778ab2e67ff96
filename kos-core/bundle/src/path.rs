//! The one rule for paths inside a bundle, shared by the index, the archive reader and
//! `create`.
//!
//! A bundle path is relative, `/`-separated UTF-8 with no empty, `.` or `..` component,
//! no control character and no `\`. Allowing only one spelling per file is what makes the
//! duplicate and "not in index" checks sound: `a/./b` and `a//b` can never sneak past a
//! comparison with `a/b`. A path obeying this rule, joined under the staging directory,
//! stays inside it (the staging tree holds no symlinks because unpacking makes none).

use crate::error::PathProblem;
use crate::{INDEX_NAME, SIG_NAME};

/// Checks `path` against the bundle path rule (see the module doc). Does not reject the
/// reserved names; [`check_payload_path`] does.
pub(crate) fn check_path(path: &str) -> Result<(), PathProblem> {
    if path.is_empty() {
        return Err(PathProblem::Empty);
    }
    if path.starts_with('/') {
        return Err(PathProblem::Absolute);
    }
    // `..` is the escaping danger, so report it before any cosmetic problem on the path.
    let components = path.split('/');
    if components.clone().any(|c| c == "..") {
        return Err(PathProblem::ParentDir);
    }
    if let Some(c) = path.chars().find(|c| c.is_control() || *c == '\\') {
        return Err(PathProblem::BadChar(c));
    }
    for c in components {
        match c {
            "" => return Err(PathProblem::EmptyComponent),
            "." => return Err(PathProblem::CurDir),
            _ => {}
        }
    }
    Ok(())
}

/// [`check_path`] plus: not one of the bundle's own two names.
pub(crate) fn check_payload_path(path: &str) -> Result<(), PathProblem> {
    check_path(path)?;
    if path == INDEX_NAME || path == SIG_NAME {
        return Err(PathProblem::Reserved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_relative_paths() {
        for p in [
            "a",
            "apps/x/ebin/x.beam",
            "bin/rng_server",
            "a b/c-d_e.f",
            "ünï/cödé",
        ] {
            assert_eq!(check_payload_path(p), Ok(()), "{p}");
        }
    }

    #[test]
    fn rejects_each_bad_shape() {
        let cases = [
            ("", PathProblem::Empty),
            ("/etc/passwd", PathProblem::Absolute),
            ("../x", PathProblem::ParentDir),
            ("apps/../x", PathProblem::ParentDir),
            ("a/..", PathProblem::ParentDir),
            ("./x", PathProblem::CurDir),
            ("a/./b", PathProblem::CurDir),
            (".", PathProblem::CurDir),
            ("a//b", PathProblem::EmptyComponent),
            ("a/", PathProblem::EmptyComponent),
            ("a\\b", PathProblem::BadChar('\\')),
            ("a\nb", PathProblem::BadChar('\n')),
            ("a\0b", PathProblem::BadChar('\0')),
            ("BUNDLE.json", PathProblem::Reserved),
            ("BUNDLE.sig", PathProblem::Reserved),
        ];
        for (p, want) in cases {
            assert_eq!(check_payload_path(p), Err(want), "{p:?}");
        }
    }

    #[test]
    fn reserved_names_only_at_top_level() {
        assert_eq!(check_payload_path("x/BUNDLE.json"), Ok(()));
        assert_eq!(check_path("BUNDLE.json"), Ok(()));
    }
}

//! A bounds-checked walk over a flattened device tree, before `fdt` reads it.
//!
//! `fdt` 0.1.5 trusts its input: on a truncated or corrupted blob it indexes out of
//! range and `expect`s its way into a panic, and on `FDT_NOP` tokens between
//! properties it loses track of a node's children. A manifest is a file that anyone may
//! have edited or cut short, and the root server must reject it, not crash. So this
//! module checks, with the Devicetree Specification (v0.4, chapter 5) in hand, every
//! offset and length `fdt` will later follow, and the parser hands `fdt` only blobs
//! that pass.

use alloc::format;
use alloc::string::String;

const MAGIC: u32 = 0xd00d_feed;
/// The v17 header: ten big-endian u32s (spec 5.2).
const HEADER_LEN: usize = 40;
/// `size_dt_struct`, which `fdt` relies on, appeared in version 17.
const MIN_VERSION: u32 = 17;

const FDT_BEGIN_NODE: u32 = 1;
const FDT_END_NODE: u32 = 2;
const FDT_PROP: u32 = 3;
const FDT_NOP: u32 = 4;
const FDT_END: u32 = 9;

/// `fdt` walks nested nodes recursively; a manifest is four levels deep, so this bound
/// only keeps a hostile blob from exhausting a small seL4 stack.
const MAX_DEPTH: usize = 16;

/// Checks that `blob` is a flattened device tree `fdt` can read without panicking.
/// The error is a detail for [`Rule::NotADeviceTree`](crate::Rule::NotADeviceTree).
pub(crate) fn check(blob: &[u8]) -> Result<(), String> {
    let header = |i: usize| be32(blob, 4 * i);
    let (Some(magic), Some(total)) = (header(0), header(1)) else {
        return Err(format!("{} bytes is too short for a header", blob.len()));
    };
    if magic != MAGIC {
        return Err(format!("bad magic {magic:#010x} (expected {MAGIC:#010x})"));
    }
    let total = total as usize;
    if blob.len() < HEADER_LEN || total < HEADER_LEN || total > blob.len() {
        return Err(format!(
            "header says {total} bytes, the blob has {}",
            blob.len()
        ));
    }
    let blob = &blob[..total];
    let word = |i: usize| header(i).unwrap_or(0) as usize;
    let version = word(5) as u32;
    if version < MIN_VERSION {
        return Err(format!(
            "version {version} is older than {MIN_VERSION}; recompile with dtc"
        ));
    }
    let structure = block(blob, word(2), word(9)).ok_or("structure block out of bounds")?;
    let strings = block(blob, word(3), word(8)).ok_or("strings block out of bounds")?;
    walk(structure, strings)
        .map_err(|(offset, what)| format!("{what} at offset {offset:#x} of the structure block"))
}

/// Walks the token stream; on error returns the token's offset and what is wrong.
fn walk(s: &[u8], strings: &[u8]) -> Result<(), (usize, &'static str)> {
    let mut at = 0;
    let mut depth = 0;
    let mut seen_root = false;
    // The spec puts a node's properties before its children; `fdt` relies on it.
    let mut in_properties = false;
    loop {
        let token_at = at;
        let fail = |what| Err((token_at, what));
        let Some(token) = be32(s, at) else {
            return fail("structure block ends without FDT_END");
        };
        at += 4;
        match token {
            FDT_BEGIN_NODE => {
                if depth == 0 && seen_root {
                    return fail("second root node");
                }
                let Some(name) = c_str(s, at) else {
                    return fail("node name not NUL-terminated UTF-8");
                };
                if depth == 0 && !name.is_empty() {
                    return fail("root node has a name");
                }
                at = align4(at + name.len() + 1);
                depth += 1;
                seen_root = true;
                if depth > MAX_DEPTH {
                    return fail("nodes nested too deeply");
                }
                in_properties = true;
            }
            FDT_PROP => {
                if depth == 0 {
                    return fail("property outside any node");
                }
                if !in_properties {
                    return fail("property after a child node");
                }
                let (Some(len), Some(name_offset)) = (be32(s, at), be32(s, at + 4)) else {
                    return fail("truncated property");
                };
                at += 8;
                let end = at.checked_add(len as usize).filter(|&end| end <= s.len());
                let Some(end) = end else {
                    return fail("property value runs past the structure block");
                };
                if c_str(strings, name_offset as usize).is_none() {
                    return fail("property name not a NUL-terminated UTF-8 string");
                }
                at = align4(end);
            }
            FDT_END_NODE => {
                if depth == 0 {
                    return fail("FDT_END_NODE without a node");
                }
                depth -= 1;
                in_properties = false;
            }
            FDT_NOP => return fail("FDT_NOP is not supported; recompile with dtc"),
            FDT_END if depth == 0 && seen_root => return Ok(()),
            FDT_END => return fail("FDT_END before the root node is complete"),
            _ => return fail("unknown token"),
        }
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let word = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes(word.try_into().ok()?))
}

fn block(blob: &[u8], offset: usize, len: usize) -> Option<&[u8]> {
    blob.get(offset..offset.checked_add(len)?)
}

/// The NUL-terminated UTF-8 string at `at`, without its NUL.
fn c_str(bytes: &[u8], at: usize) -> Option<&str> {
    let rest = bytes.get(at..)?;
    let len = rest.iter().position(|&b| b == 0)?;
    core::str::from_utf8(&rest[..len]).ok()
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

#[cfg(test)]
mod test {
    use super::*;
    use alloc::vec::Vec;

    /// A blob with the given structure tokens and strings block, as dtc would lay it out.
    fn fdt(structure: &[u32], strings: &[u8]) -> Vec<u8> {
        let structure: Vec<u8> = structure.iter().flat_map(|w| w.to_be_bytes()).collect();
        let off_struct = HEADER_LEN + 16; // an empty memory reservation map follows the header
        let off_strings = off_struct + structure.len();
        let total = off_strings + strings.len();
        let header = [
            MAGIC,
            total as u32,
            off_struct as u32,
            off_strings as u32,
            HEADER_LEN as u32,
            17,
            16,
            0,
            strings.len() as u32,
            structure.len() as u32,
        ];
        let mut blob: Vec<u8> = header.iter().flat_map(|w| w.to_be_bytes()).collect();
        blob.extend_from_slice(&[0; 16]);
        blob.extend_from_slice(&structure);
        blob.extend_from_slice(strings);
        blob
    }

    // A root node with one property `a` (name offset 0) of 4 bytes and one child "n".
    const ROOT: u32 = FDT_BEGIN_NODE;
    const ROOT_NAME: u32 = 0; // "" padded to 4 bytes
    const CHILD_NAME_N: u32 = u32::from_be_bytes(*b"n\0\0\0");
    const PROP_A: [u32; 4] = [FDT_PROP, 4, 0, 7];

    #[test]
    fn accepts_a_well_formed_tree() {
        let tokens = [
            [ROOT, ROOT_NAME].as_slice(),
            &PROP_A,
            &[
                FDT_BEGIN_NODE,
                CHILD_NAME_N,
                FDT_END_NODE,
                FDT_END_NODE,
                FDT_END,
            ],
        ]
        .concat();
        assert_eq!(check(&fdt(&tokens, b"a\0")), Ok(()));
    }

    fn rejects(tokens: &[u32], strings: &[u8], why: &str) {
        let err = check(&fdt(tokens, strings)).unwrap_err();
        assert!(err.contains(why), "{err:?} does not mention {why:?}");
    }

    #[test]
    fn rejects_nops() {
        let tokens = [
            [ROOT, ROOT_NAME, FDT_NOP].as_slice(),
            &PROP_A,
            &[FDT_END_NODE, FDT_END],
        ];
        rejects(&tokens.concat(), b"a\0", "FDT_NOP");
    }

    #[test]
    fn rejects_a_property_after_a_child() {
        let tokens = [
            [ROOT, ROOT_NAME, FDT_BEGIN_NODE, CHILD_NAME_N, FDT_END_NODE].as_slice(),
            &PROP_A,
            &[FDT_END_NODE, FDT_END],
        ];
        rejects(&tokens.concat(), b"a\0", "property after a child");
    }

    #[test]
    fn rejects_a_name_offset_outside_the_strings() {
        let tokens = [
            [ROOT, ROOT_NAME].as_slice(),
            &[FDT_PROP, 4, 99, 7],
            &[FDT_END_NODE, FDT_END],
        ];
        rejects(&tokens.concat(), b"a\0", "property name");
    }

    #[test]
    fn rejects_a_value_longer_than_the_block() {
        let tokens = [[ROOT, ROOT_NAME].as_slice(), &[FDT_PROP, 400, 0, 7]];
        rejects(&tokens.concat(), b"a\0", "runs past");
    }

    #[test]
    fn rejects_unbalanced_and_duplicate_roots() {
        rejects(
            &[ROOT, ROOT_NAME, FDT_END],
            b"",
            "before the root node is complete",
        );
        rejects(&[ROOT, ROOT_NAME], b"", "without FDT_END");
        rejects(
            &[
                ROOT,
                ROOT_NAME,
                FDT_END_NODE,
                ROOT,
                ROOT_NAME,
                FDT_END_NODE,
                FDT_END,
            ],
            b"",
            "second root",
        );
        rejects(
            &[ROOT, CHILD_NAME_N, FDT_END_NODE, FDT_END],
            b"",
            "root node has a name",
        );
    }

    #[test]
    fn rejects_deep_nesting() {
        let mut tokens = Vec::new();
        tokens.extend([ROOT, ROOT_NAME]);
        for _ in 0..MAX_DEPTH {
            tokens.extend([FDT_BEGIN_NODE, CHILD_NAME_N]);
        }
        rejects(&tokens, b"", "too deeply");
    }

    #[test]
    fn rejects_bad_headers() {
        assert!(check(b"").unwrap_err().contains("too short"));
        assert!(check(&[0u8; 64]).unwrap_err().contains("bad magic"));
        let mut blob = fdt(&[ROOT, ROOT_NAME, FDT_END_NODE, FDT_END], b"");
        blob[23] = 16; // version 16
        assert!(check(&blob).unwrap_err().contains("version 16"));
        let blob = fdt(&[ROOT, ROOT_NAME, FDT_END_NODE, FDT_END], b"");
        assert!(check(&blob[..blob.len() - 1])
            .unwrap_err()
            .contains("header says"));
    }
}

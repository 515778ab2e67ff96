//! Any bytes as an upgrade bundle: Orbit's `read_index` (run on every upload) and the
//! device's `unpack_verified` must refuse with an error, never panic, and never write
//! outside the directory they are given.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = tempfile::tempdir().expect("temp dir");
    let bundle = dir.path().join("bundle.tar.gz");
    std::fs::write(&bundle, data).expect("write the input");
    let _ = kos_bundle::read_index(&bundle);
    let key = kos_bundle::SigningKey::from_bytes(&[7; 32]).verifying_key();
    let into = dir.path().join("out").join("image");
    std::fs::create_dir_all(into.parent().unwrap()).expect("out dir");
    let _ = kos_bundle::unpack_verified(&bundle, &key, &into, &kos_bundle::Limits::default());
    // Nothing but the bundle and what was unpacked under out/.
    for entry in std::fs::read_dir(dir.path()).expect("read temp dir") {
        let name = entry.expect("entry").file_name();
        assert!(name == "bundle.tar.gz" || name == "out", "{name:?} written outside");
    }
});

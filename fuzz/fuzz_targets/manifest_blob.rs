//! Any bytes as a compiled manifest: `Manifest::from_dtb` (what `_root` and the seL4
//! root task run on every boot) must refuse what is broken with an error, never panic,
//! and what it accepts must answer the questions the root asks of it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(manifest) = kos_manifest::Manifest::from_dtb(data) {
        let order = manifest.start_order();
        assert_eq!(order.len(), manifest.apps.len());
        for app in &manifest.apps {
            assert!(manifest.app(&app.name).is_some());
        }
    }
});

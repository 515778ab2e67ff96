//! Tidying the images directory at start: partial stages go, the running image and
//! the newest other one stay, nothing that is not KOS's own is touched.

use std::path::Path;
use std::time::{Duration, SystemTime};

use orbit_device::images::tidy;

fn image(dir: &Path, name: &str, age_s: u64) {
    let d = dir.join(name);
    std::fs::create_dir_all(d.join("elixir")).unwrap();
    std::fs::write(d.join("system.dts"), "/dts-v1/;\n/ { };\n").unwrap();
    let when = SystemTime::now() - Duration::from_secs(age_s);
    std::fs::File::open(&d).unwrap().set_modified(when).unwrap();
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn partial_stages_and_all_but_two_images_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path();
    image(images, "image-oldest", 400);
    image(images, "image-running", 300);
    image(images, "image-older", 200);
    image(images, "image-newest", 100);
    std::fs::create_dir_all(images.join("incoming-dead/image")).unwrap();
    std::fs::write(images.join("incoming-dead/bundle.download"), "half").unwrap();
    std::fs::write(images.join("pending-upgrade"), "7 2.0.0\n").unwrap();
    std::fs::create_dir_all(images.join("notes")).unwrap();

    let t = tidy(images, Some(&images.join("image-running"))).unwrap();
    assert_eq!(t.partial, ["incoming-dead"]);
    assert_eq!(t.images, ["image-older", "image-oldest"]);
    assert_eq!(t.kept, ["image-newest", "image-running"]);
    assert_eq!(
        names(images),
        ["image-newest", "image-running", "notes", "pending-upgrade"]
    );
    // Run again: nothing more to do.
    let again = tidy(images, Some(&images.join("image-running"))).unwrap();
    assert!(again.partial.is_empty() && again.images.is_empty());
}

#[test]
fn running_from_the_boot_system_keeps_the_newest_image_only() {
    let dir = tempfile::tempdir().unwrap();
    image(dir.path(), "image-a", 50);
    image(dir.path(), "image-b", 10);
    let t = tidy(dir.path(), None).unwrap();
    assert_eq!(t.images, ["image-a"]);
    assert_eq!(names(dir.path()), ["image-b"]);
    // A missing images directory is nothing to tidy.
    assert_eq!(
        tidy(&dir.path().join("none"), None).unwrap(),
        Default::default()
    );
}

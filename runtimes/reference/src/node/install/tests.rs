//! Tests of the installer that need no registry: the registry it picks, the integrity it reads,
//! a release already in the cache.

use super::*;

#[test]
fn registry_prefers_ours_then_npms_then_the_public_one() {
    let some = |s: &str| Some(s.to_owned());
    assert_eq!(
        registry_from(some("http://mirror/"), some("http://npm")),
        "http://mirror"
    );
    assert_eq!(registry_from(some(" "), some("http://npm/")), "http://npm");
    assert_eq!(registry_from(None, None), DEFAULT_REGISTRY);
}

#[test]
fn sri_takes_the_sha512_entry() {
    assert_eq!(sri_sha512(Some("sha512-abc==")).as_deref(), Some("abc=="));
    assert_eq!(
        sri_sha512(Some("sha1-xyz sha512-abc==?foo")).as_deref(),
        Some("abc==")
    );
    assert_eq!(sri_sha512(Some("sha1-xyz")), None);
    assert_eq!(sri_sha512(Some("sha512-")), None);
    assert_eq!(sri_sha512(None), None);
}

#[test]
fn a_cached_release_is_found_without_the_network() {
    let cache = tempfile::tempdir().unwrap();
    assert_eq!(installed(cache.path(), "20.15.1"), None);
    std::fs::create_dir_all(cache.path().join("20.15.1/bin")).unwrap();
    std::fs::write(cache.path().join("20.15.1/bin/node"), "").unwrap();
    let tokio_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // An unroutable registry: the install must not need it.
    let installer = Installer::new(cache.path(), "http://127.0.0.1:9").unwrap();
    let found = tokio_runtime
        .block_on(installer.install("20.15.1", &mut |_| {}))
        .unwrap();
    assert_eq!(found.downloaded, None);
    assert_eq!(found.node, cache.path().join("20.15.1/bin/node"));
}

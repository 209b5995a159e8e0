//! The fuzz corpora replayed as ordinary tests: every seed of `fuzz/corpus/<target>/` (and
//! every crashing input kept in `fuzz/artifacts/<target>/`) goes through the same check
//! its cargo-fuzz target runs ([`muhtar_core::testkit::fuzz`]). CI replays them; real
//! fuzzing is `bash .ci/fuzz.sh 600`.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use muhtar_core::testkit::fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The file names in `dir`, sorted; none when it does not exist.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_fuzz_target_has_a_check_and_a_corpus() {
    let fuzz = fuzz_dir();
    let checks: BTreeSet<String> = TARGETS.iter().map(|(n, _)| n.to_string()).collect();
    let corpora: BTreeSet<String> = std::fs::read_dir(fuzz.join("corpus"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(corpora, checks, "fuzz/corpus/ and testkit::fuzz::TARGETS");
    let manifest = std::fs::read_to_string(fuzz.join("Cargo.toml")).unwrap();
    for name in &checks {
        assert!(
            fuzz.join(format!("fuzz_targets/{name}.rs")).is_file(),
            "fuzz/fuzz_targets/{name}.rs"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
        assert!(
            !files(&fuzz.join("corpus").join(name)).is_empty(),
            "fuzz/corpus/{name}/ has no seed"
        );
    }
}

#[test]
fn every_corpus_seed_passes_its_fuzz_check() {
    let fuzz = fuzz_dir();
    let org = crate::example_org();
    let mut failed = Vec::new();
    let mut replayed = 0;
    for (name, check) in TARGETS {
        let inputs = ["corpus", "artifacts"]
            .iter()
            .flat_map(|d| files(&fuzz.join(d).join(name)));
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            replayed += 1;
            if catch_unwind(AssertUnwindSafe(|| check(&org, &data))).is_err() {
                failed.push(input.display().to_string());
            }
        }
    }
    assert!(replayed >= TARGETS.len(), "{replayed} inputs replayed");
    assert!(
        failed.is_empty(),
        "inputs failing their fuzz check: {failed:?}"
    );
}

//! The committed fuzz corpus (`fuzz/corpus/`), replayed through the fuzz targets' own entry
//! points on every test run, on the stable toolchain: each input still passes the checks the
//! fuzzers hold every answer to (`timber_server::fuzzing`). A crash a fuzzer finds, once
//! fixed, goes into the corpus and is replayed here from then on.

use std::path::Path;
use timber_server::fuzzing::Harness;

/// A target's entry point.
type Target = fn(&mut Harness, &[u8]);

#[test]
fn every_corpus_input_passes_the_fuzz_checks() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let targets: [(&str, Target); 3] = [
        ("envelope", Harness::envelope),
        ("requests", Harness::command),
        ("msg_body", Harness::msg_body),
    ];
    let mut h = Harness::in_memory();
    for (target, run) in targets {
        let mut inputs: Vec<_> = std::fs::read_dir(corpus.join(target))
            .unwrap_or_else(|e| panic!("fuzz/corpus/{target}: {e}"))
            .map(|entry| entry.expect("a corpus entry").path())
            .collect();
        inputs.sort();
        assert!(inputs.len() > 10, "fuzz/corpus/{target} is nearly empty");
        for input in inputs {
            // Shown only if the input fails.
            eprintln!("{target}: {}", input.display());
            run(&mut h, &std::fs::read(&input).expect("read a corpus input"));
        }
    }
}

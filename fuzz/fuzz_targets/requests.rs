//! Any body to every command of the dispatch table, as the app admin: the typed request, the
//! handler's checks and the store's decision. The first byte picks the command; see
//! `timber_server::fuzzing::Harness::command`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{LazyLock, Mutex};
use timber_server::fuzzing::Harness;

static HARNESS: LazyLock<Mutex<Harness>> = LazyLock::new(|| Mutex::new(Harness::new()));

fuzz_target!(|data: &[u8]| {
    let mut h = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    h.command(data);
});

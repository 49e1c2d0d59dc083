//! Any method, URI and body through the whole REST envelope: route, method, query
//! (`sdkappid`, `identifier`, `usersig`, anything else), body size, JSON. The input is
//! `METHOD URI\nBODY`; see `timber_server::fuzzing::Harness::envelope`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{LazyLock, Mutex};
use timber_server::fuzzing::Harness;

static HARNESS: LazyLock<Mutex<Harness>> = LazyLock::new(|| Mutex::new(Harness::new()));

fuzz_target!(|data: &[u8]| {
    let mut h = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    h.envelope(data);
});

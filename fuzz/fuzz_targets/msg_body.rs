//! Any `MsgBody` sent, imported or modified into a group, and read back from its history,
//! which must give an accepted body back byte for byte; see
//! `timber_server::fuzzing::Harness::msg_body`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::{LazyLock, Mutex};
use timber_server::fuzzing::Harness;

static HARNESS: LazyLock<Mutex<Harness>> = LazyLock::new(|| Mutex::new(Harness::new()));

fuzz_target!(|data: &[u8]| {
    let mut h = HARNESS.lock().unwrap_or_else(|e| e.into_inner());
    h.msg_body(data);
});

//! `verify` must never panic. The first byte picks which layer the rest of the input reaches
//! directly: the raw string, the zlib layer, or the JSON layer.
#![no_main]

use base64::Engine;
use flate2::{write::ZlibEncoder, Compression};
use libfuzzer_sys::fuzz_target;
use std::io::Write;

const KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";

fn tencent_b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let usersig = match mode % 3 {
        0 => String::from_utf8_lossy(rest).into_owned(),
        1 => tencent_b64(rest),
        _ => {
            let mut z = ZlibEncoder::new(Vec::new(), Compression::new(u32::from(mode % 10)));
            z.write_all(rest).unwrap();
            tencent_b64(&z.finish().unwrap())
        }
    };
    let _ = timber_usersig::verify(&usersig, 1400000000, "xiaojun", KEY, 1700000001);
});

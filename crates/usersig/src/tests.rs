//! Spec vectors (§5), negative table (§5.3), leniency cases (§2.1) and property tests.

use super::*;
use flate2::read::ZlibDecoder;
use proptest::prelude::*;
use std::io::Read;

const KEY1: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
const KEY3: &str = "test-secret-key-0123456789abcdef";
const APP1: u64 = 1400000000;

const V1: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__";
const V2: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZlAqUsTAzgQuWZOaChAzNDY2MTUzNzC1gBmWmgy2pTEoOr3KNcPGzMNFPT6vQNsgryotK9AkyKi8JcPb2LHYJy-JNdfcoLfe1VaoFAFWQNfE_";
const V3: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkSotTi*INDHUdYdLFKdmJBQWZKUBJQzMDAwNDI2MTU6hcakVBZlEqUMYYKAMVK8nMBYkYmhubmllYIsSLM9NB5qdkeOu7*pf4OwanmaZFplq6h2eHVvnmJ7maGhgYF*aaBaSHmIbkJ1tkWabbKtUCAIPYMmg_";
const V4: &str = "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPWlxalFSaVpIFsiw72y4FZkpoOEArNCjAwMKwKyI7L1E30NU7UrDcoSs6OSDLyNMgOK3EpTtbUNik0rzZLcfG2VagHdkjl6";

const V1_JSON: &str = r#"{"TLS.ver": "2.0", "TLS.identifier": "xiaojun", "TLS.sdkappid": 1400000000, "TLS.expire": 15552000, "TLS.time": 1700000000, "TLS.sig": "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="}"#;
const V2_JSON: &str = r#"{"TLS.ver": "2.0", "TLS.identifier": "administrator", "TLS.sdkappid": 1400000000, "TLS.expire": 86400, "TLS.time": 1712345678, "TLS.sig": "aybcWzEXDN84/gfx+0nrnZaLR2wtPCKIsDVjMeGHuwM="}"#;
const V3_JSON: &str = r#"{"TLS.ver": "2.0", "TLS.identifier": "user_01-A", "TLS.sdkappid": 1600012345, "TLS.expire": 3600, "TLS.time": 1735689600, "TLS.sig": "dhK/EOtOASf5fYe9GWkUzMobE5003qm6PgT5Toc8j9g="}"#;
const V4_JSON: &str = r#"{"TLS.ver": "2.0", "TLS.identifier": "xiaojun", "TLS.sdkappid": 1400000000, "TLS.expire": 15552000, "TLS.time": 1700000000, "TLS.userbuf": "YWJj", "TLS.sig": "QjT201xPkXk/aM1e+y0vakZb0K2iPrFue++0s5y6bFM="}"#;

const NODE_V1: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmqOKplYUZBaBxE1NTY3gosWZ6UpWSj5ljuYp*p7l5unBxXnF2WVhVU4uAf7Ozi5JpX7O5SbuHuUhzgZJmQXaTia2SrUAohcx8g__";
const NODE_V1_JSON: &str = r#"{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.expire":15552000,"TLS.sig":"LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="}"#;
const NODE_V2: &str = "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNVbIyNDc0MjYxNTO3gIimVhRkFqUqWVmYmcAUFmemgwyvTEoOr3KNcPGzMNFPT6vQNsgryotK9AkyKi8JcPb2LHYJy-JNdfcoLfe1VaoFAMb3NJE_";
const NODE_V3: &str = "eJw9ycEKgkAQgOF3mXPZrNtuutDBg3SoMNCITmHtaJOYphZR9O6BRsf-*9*QrGLnQQ0YcB2EUd9s6dpxxj3fW2oOKMbBb7a2SOuaLRihEVG4cqqG03FJYMRMKu35GnFQetbcEBj5l5ZzMGDPy0kYdVEQZyrbk7-YFdvXujqGClHeSr3JE5VUJ*-i53P4fAEMPDEI";

const GO_V1: &str = "eAEBrABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoiTHZBN2QvSXc3Z1NzbnNrdlZ6QkRQT0NDRGJ1TkN3NEdId1RDMGJpcCtCND0ifQrfwzH8";

/// (usersig, sdkappid, key, identifier, expire, time, userbuf, exact JSON)
type Vector = (
    &'static str,
    u64,
    &'static str,
    &'static str,
    i64,
    i64,
    Option<&'static [u8]>,
    &'static str,
);
const PYTHON: [Vector; 4] = [
    (
        V1, APP1, KEY1, "xiaojun", 15552000, 1700000000, None, V1_JSON,
    ),
    (
        V2,
        APP1,
        KEY1,
        "administrator",
        86400,
        1712345678,
        None,
        V2_JSON,
    ),
    (
        V3,
        1600012345,
        KEY3,
        "user_01-A",
        3600,
        1735689600,
        None,
        V3_JSON,
    ),
    (
        V4,
        APP1,
        KEY1,
        "xiaojun",
        15552000,
        1700000000,
        Some(b"abc"),
        V4_JSON,
    ),
];

/// Raw zlib bytes of a UserSig (test-side decoder, independent of `inflate`).
fn zlib_bytes(usersig: &str) -> Vec<u8> {
    let b64: String = usersig
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    B64.decode(b64).unwrap()
}

fn inflated(usersig: &str) -> Vec<u8> {
    let mut out = Vec::new();
    ZlibDecoder::new(&zlib_bytes(usersig)[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Wraps arbitrary document bytes the way a generator would, at a chosen zlib level.
fn wrap(doc: &[u8], level: u32) -> String {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::new(level));
    z.write_all(doc).unwrap();
    tencent_b64(&z.finish().unwrap())
}

fn tencent_b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

fn sig_of(key: &str, text: &str) -> String {
    B64.encode(mac(key, text).finalize().into_bytes())
}

fn v1_sig() -> String {
    sig_of(
        KEY1,
        &signed_text("xiaojun", APP1, 1700000000, 15552000, None),
    )
}

fn v1(usersig: &str, now: i64) -> Result<Verified, VerifyError> {
    verify(usersig, APP1, "xiaojun", KEY1, now)
}

const V1_OK: Result<Verified, VerifyError> = Ok(Verified {
    time: 1700000000,
    expire: 15552000,
});

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- §5.1 / §5.2 / §5.2b vectors ----

#[test]
fn python_vectors_verify() {
    for (sig, app, key, id, expire, time, _, _) in PYTHON {
        assert_eq!(
            verify(sig, app, id, key, time + 1),
            Ok(Verified { time, expire }),
            "{sig}"
        );
    }
}

#[test]
fn python_vectors_inflate_to_spec_json() {
    for (sig, .., json) in PYTHON {
        assert_eq!(inflated(sig), json.as_bytes());
    }
}

#[test]
fn signed_text_and_hmac_match_spec() {
    assert_eq!(
        signed_text("xiaojun", APP1, 1700000000, 15552000, None),
        "TLS.identifier:xiaojun\nTLS.sdkappid:1400000000\nTLS.time:1700000000\nTLS.expire:15552000\n"
    );
    assert!(
        signed_text("xiaojun", APP1, 1700000000, 15552000, Some("YWJj"))
            .ends_with("TLS.expire:15552000\nTLS.userbuf:YWJj\n")
    );
    let hexes = [
        "2ef03b77f230ee04ac9ec92f5730433ce0820dbb8d0b0e061f04c2d1b8a9f81e",
        "6b26dc5b31170cdf38fe07f1fb49eb9d968b476c2d3c2288b0356331e187bb03",
        "7612bf10eb4e0127f97d87bd196914ccca1b139d34dea9ba3e04f94e873c8fd8",
        "4234f6d35c4f91793f68cd5efb2d2f6a465bd0ada23eb16e7befb4b39cba6c53",
    ];
    for ((_, app, key, id, expire, time, userbuf, _), want) in PYTHON.into_iter().zip(hexes) {
        let ub = userbuf.map(|b| B64.encode(b));
        let text = signed_text(id, app, time, expire, ub.as_deref());
        assert_eq!(hex(&mac(key, &text).finalize().into_bytes()), want);
    }
}

/// flate2's pure-Rust deflate (miniz_oxide) picks different Huffman blocks than C zlib, so the
/// compressed bytes differ from Python's; the JSON inside must match the spec byte for byte.
#[test]
fn generate_reproduces_python_json() {
    for (sig, app, key, id, expire, time, userbuf, json) in PYTHON {
        let ours = match userbuf {
            None => generate(app, key, id, expire, time),
            Some(ub) => generate_with_userbuf(app, key, id, expire, time, ub),
        };
        assert!(ours.starts_with("eJ"), "default zlib level header");
        assert_eq!(String::from_utf8(inflated(&ours)).unwrap(), json);
        assert_eq!(
            verify(&ours, app, id, key, time),
            Ok(Verified { time, expire })
        );
        if ours != sig {
            eprintln!(
                "note: compressed bytes differ from Python's for {id} (expected with miniz_oxide)"
            );
        }
    }
}

#[test]
fn node_vectors_verify() {
    assert_eq!(inflated(NODE_V1), NODE_V1_JSON.as_bytes());
    assert_eq!(v1(NODE_V1, 1700000001), V1_OK);
    assert_eq!(
        verify(NODE_V2, APP1, "administrator", KEY1, 1712345679),
        Ok(Verified {
            time: 1712345678,
            expire: 86400
        })
    );
    assert_eq!(
        verify(NODE_V3, 1600012345, "user_01-A", KEY3, 1735689601),
        Ok(Verified {
            time: 1735689600,
            expire: 3600
        })
    );
}

#[test]
fn go_style_vector_verifies() {
    assert_eq!(
        &zlib_bytes(GO_V1)[..2],
        &[0x78, 0x01],
        "level 0 / stored block"
    );
    assert!(inflated(GO_V1).ends_with(b"}\n"));
    assert_eq!(v1(GO_V1, 1700000001), V1_OK);
}

// ---- §5.3 negative table (the kick row belongs to the server) ----

#[test]
fn negative_table() {
    assert_eq!(v1(V1, 1700000001), V1_OK, "valid");
    assert_eq!(v1(V1, 1715552000), V1_OK, "last valid second");
    assert_eq!(v1(V1, 1715552001), Err(VerifyError::Expired));
    assert_eq!(
        verify(V1, APP1, "xiaojun2", KEY1, 1700000001),
        Err(VerifyError::IdentifierMismatch)
    );
    assert_eq!(
        verify(V1, 1400000001, "xiaojun", KEY1, 1700000001),
        Err(VerifyError::SdkAppIdMismatch)
    );
    let other_key = format!("{}f", &KEY1[..KEY1.len() - 1]);
    assert_ne!(other_key, KEY1);
    assert_eq!(
        verify(V1, APP1, "xiaojun", &other_key, 1700000001),
        Err(VerifyError::BadSignature)
    );
    assert_eq!(v1(&V1[..40], 1700000001), Err(VerifyError::Malformed));
    for now in [i64::MIN, 0, 1700000001, i64::MAX] {
        assert_eq!(v1("", now), Err(VerifyError::Empty));
    }
}

#[test]
fn check_order_follows_go_reference() {
    // Expired and signed with a wrong key: expiry is reported first.
    assert_eq!(
        verify(V1, APP1, "xiaojun", "wrong", 1715552001),
        Err(VerifyError::Expired)
    );
    // Someone else's valid sig: identifier mismatch, not a signature failure.
    assert_eq!(
        verify(V2, APP1, "xiaojun", KEY1, 1712345679),
        Err(VerifyError::IdentifierMismatch)
    );
    // sdkappid is checked before identifier.
    assert_eq!(
        verify(V1, 1, "nobody", "k", 0),
        Err(VerifyError::SdkAppIdMismatch)
    );
}

// ---- §2.1 leniency ----

#[test]
fn accepts_any_layout_level_and_numeric_strings() {
    let sig = v1_sig();
    let docs = [
        format!(r#"{{"TLS.sig":"{sig}","TLS.time":1700000000,"TLS.expire":15552000,"TLS.sdkappid":1400000000,"TLS.identifier":"xiaojun","TLS.ver":"2.0"}}"#),
        format!("\n {{ \"TLS.ver\" :\t\"2.0\" ,\r\n \"TLS.identifier\" : \"xiaojun\", \"TLS.sdkappid\":1400000000,\"TLS.expire\":15552000,\"TLS.time\":1700000000,\"TLS.sig\":\"{sig}\" }}\n\n"),
        format!(r#"{{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":"1400000000","TLS.expire":"15552000","TLS.time":"1700000000","TLS.sig":"{sig}"}}"#),
        format!(r#"{{"TLS.ver":"2.0","TLS.identifier":"\u0078iaojun","TLS.sdkappid":1400000000,"TLS.expire":15552000,"TLS.time":1700000000,"TLS.sig":"{sig}","extra":[1,{{"a":null}}]}}"#),
    ];
    for doc in &docs {
        for level in [0, 1, 6, 9] {
            assert_eq!(
                v1(&wrap(doc.as_bytes(), level), 1700000001),
                V1_OK,
                "level {level}: {doc}"
            );
        }
    }
    assert!(wrap(docs[0].as_bytes(), 9).starts_with("eN"));
}

#[test]
fn tolerates_missing_base64_padding() {
    assert!(V1.ends_with("__"));
    assert_eq!(v1(V1.trim_end_matches('_'), 1700000001), V1_OK);
    assert_eq!(v1(&V1[..V1.len() - 1], 1700000001), V1_OK);
}

#[test]
fn missing_expire_means_zero() {
    let sig = sig_of(KEY1, &signed_text("xiaojun", APP1, 1700000000, 0, None));
    let doc = format!(
        r#"{{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.time":1700000000,"TLS.sig":"{sig}"}}"#
    );
    let us = wrap(doc.as_bytes(), 0);
    assert_eq!(
        v1(&us, 1700000000),
        Ok(Verified {
            time: 1700000000,
            expire: 0
        })
    );
    assert_eq!(v1(&us, 1700000001), Err(VerifyError::Expired));
}

#[test]
fn non_ascii_identifier_is_escaped_and_verifies() {
    let id = "用户\u{1F600}\"\\\n\u{7f}";
    let us = generate(APP1, KEY1, id, 100, 5);
    let json = String::from_utf8(inflated(&us)).unwrap();
    let want = "\"TLS.identifier\": \"\\u7528\\u6237\\ud83d\\ude00\\\"\\\\\\n\u{7f}\"";
    assert!(json.contains(want), "{json}");
    assert!(json.is_ascii());
    assert_eq!(
        verify(&us, APP1, id, KEY1, 105),
        Ok(Verified {
            time: 5,
            expire: 100
        })
    );
    // Raw UTF-8 in the JSON (Node/Go style) verifies too.
    let sig = sig_of(KEY1, &signed_text(id, APP1, 5, 100, None));
    let doc = serde_json::json!({"TLS.ver": "2.0", "TLS.identifier": id, "TLS.sdkappid": APP1, "TLS.expire": 100, "TLS.time": 5, "TLS.sig": sig});
    assert_eq!(
        verify(&wrap(doc.to_string().as_bytes(), 6), APP1, id, KEY1, 5),
        Ok(Verified {
            time: 5,
            expire: 100
        })
    );
}

// ---- rejections ----

#[test]
fn userbuf_is_signed() {
    let ok = Ok(Verified {
        time: 1700000000,
        expire: 15552000,
    });
    assert_eq!(v1(V4, 1700000001), ok);
    let stripped = V4_JSON.replace(r#""TLS.userbuf": "YWJj", "#, "");
    assert_eq!(
        v1(&wrap(stripped.as_bytes(), 6), 1700000001),
        Err(VerifyError::BadSignature)
    );
    let changed = V4_JSON.replace("YWJj", "YWJk");
    assert_eq!(
        v1(&wrap(changed.as_bytes(), 6), 1700000001),
        Err(VerifyError::BadSignature)
    );
    let added = V1_JSON.replace(r#""TLS.sig""#, r#""TLS.userbuf": "", "TLS.sig""#);
    assert_eq!(
        v1(&wrap(added.as_bytes(), 6), 1700000001),
        Err(VerifyError::BadSignature)
    );
}

#[test]
fn bad_tls_sig_is_bad_signature() {
    for bad in [
        "",
        "!!!!",
        "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4",
        "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B5=",
        "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=AAAA",
    ] {
        let doc = V1_JSON.replace("LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=", bad);
        let want = if bad == "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4" {
            V1_OK
        } else {
            Err(VerifyError::BadSignature)
        };
        assert_eq!(v1(&wrap(doc.as_bytes(), 6), 1700000001), want, "{bad}");
    }
}

#[test]
fn malformed_documents() {
    let sig = v1_sig();
    let good = format!(
        r#""TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":15552000,"TLS.time":1700000000,"TLS.sig":"{sig}""#
    );
    let docs = [
        format!(r#"{{{good}}}"#), // no TLS.ver
        format!(r#"{{"TLS.ver":"2.1",{good}}}"#),
        format!(r#"{{"TLS.ver":"201",{good}}}"#),
        format!(r#"{{"TLS.ver":2.0,{good}}}"#),
        format!(r#"{{"TLS.ver":"2.0","TLS.ver":"2.0",{good}}}"#), // duplicate member
        format!(r#"{{"TLS.ver":"2.0",{good}}} x"#),
        format!(r#"{{"TLS.ver":"2.0",{good}"#),
        r#"["TLS.ver","2.0"]"#.to_string(),
        V1_JSON.replace("1400000000", "1400000000.0"),
        V1_JSON.replace("1400000000", "-1400000000"),
        V1_JSON.replace("1400000000", "\"14e8\""),
        V1_JSON.replace("1400000000", "99999999999999999999999"),
        V1_JSON.replace("1700000000", "null"),
        V1_JSON.replace("\"xiaojun\"", "7"),
        V1_JSON.replace(
            r#""TLS.sig": "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=""#,
            r#""TLS.sig": 1"#,
        ),
        V1_JSON.replace(r#", "TLS.time": 1700000000"#, ""),
        V1_JSON.replace(r#", "TLS.sdkappid": 1400000000"#, ""),
        V1_JSON.replace(r#""TLS.identifier": "xiaojun", "#, ""),
        V1_JSON.replace(
            r#", "TLS.sig": "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4=""#,
            "",
        ),
        V1_JSON.replace("\"xiaojun\"", "\"xiao\\ud800jun\""), // lone surrogate
        String::new(),
        "null".into(),
    ];
    for doc in &docs {
        assert_eq!(
            v1(&wrap(doc.as_bytes(), 6), 1700000001),
            Err(VerifyError::Malformed),
            "{doc}"
        );
    }
    // Not a UTF-8 document at all.
    assert_eq!(
        v1(&wrap(b"{\"TLS.ver\":\"2.0\xff\"}", 6), 1700000001),
        Err(VerifyError::Malformed)
    );
}

#[test]
fn malformed_encodings() {
    let z = zlib_bytes(V1);
    let raw_deflate = &z[2..z.len() - 4];
    let mut bad_adler = z.clone();
    *bad_adler.last_mut().unwrap() ^= 1;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(V1_JSON.as_bytes()).unwrap();
    let cases = [
        tencent_b64(raw_deflate),
        tencent_b64(&bad_adler),
        tencent_b64(&z[..z.len() - 4]), // no Adler-32 trailer
        tencent_b64(&z[..z.len() / 2]),
        tencent_b64(&gz.finish().unwrap()),
        tencent_b64(V1_JSON.as_bytes()), // not compressed
        format!("{V1}="),
        format!("{V1} "),
        format!("%{V1}"),
        "e".into(),
        "eJ".into(),
        "____".into(),
        "\u{0}".into(),
        "用户".into(),
    ];
    for us in &cases {
        assert_eq!(v1(us, 1700000001), Err(VerifyError::Malformed), "{us}");
    }
    // Like Go's decoder, the standard alphabet's own characters pass through.
    assert_eq!(v1(&B64.encode(&z), 1700000001), V1_OK);
    // Bytes after the zlib stream are ignored, like every zlib reader does.
    let mut trailing = z.clone();
    trailing.extend_from_slice(b"junk");
    assert_eq!(v1(&tencent_b64(&trailing), 1700000001), V1_OK);
}

#[test]
fn inflate_size_is_capped() {
    let sig = v1_sig();
    let doc = |pad: usize| {
        format!(
            r#"{{"TLS.ver":"2.0","TLS.identifier":"xiaojun","TLS.sdkappid":1400000000,"TLS.expire":15552000,"TLS.time":1700000000,"TLS.sig":"{sig}"}}{}"#,
            " ".repeat(pad)
        )
    };
    let just_fits = doc(0);
    let just_fits = doc(MAX_INFLATED - just_fits.len());
    assert_eq!(just_fits.len(), MAX_INFLATED);
    assert_eq!(v1(&wrap(just_fits.as_bytes(), 9), 1700000001), V1_OK);
    assert_eq!(v1(&wrap(just_fits.as_bytes(), 0), 1700000001), V1_OK);
    let too_big = doc(MAX_INFLATED);
    assert_eq!(
        v1(&wrap(too_big.as_bytes(), 9), 1700000001),
        Err(VerifyError::Malformed)
    );
    // A bomb: 64 MiB of zeros compresses to ~64 KiB and must be refused cheaply.
    let bomb = wrap(&vec![b' '; 64 << 20], 9);
    assert_eq!(v1(&bomb, 1700000001), Err(VerifyError::Malformed));
}

#[test]
fn expires_at_saturates() {
    assert_eq!(
        Verified {
            time: i64::MAX,
            expire: 1
        }
        .expires_at(),
        i64::MAX
    );
    assert_eq!(
        Verified {
            time: i64::MIN,
            expire: -1
        }
        .expires_at(),
        i64::MIN
    );
    assert_eq!(
        Verified {
            time: 1700000000,
            expire: 15552000
        }
        .expires_at(),
        1715552000
    );
    let us = generate(APP1, KEY1, "x", i64::MAX, i64::MAX);
    assert_eq!(
        verify(&us, APP1, "x", KEY1, i64::MAX),
        Ok(Verified {
            time: i64::MAX,
            expire: i64::MAX
        })
    );
    let neg = generate(APP1, KEY1, "x", -10, 100);
    assert_eq!(
        verify(&neg, APP1, "x", KEY1, 90),
        Ok(Verified {
            time: 100,
            expire: -10
        })
    );
    assert_eq!(
        verify(&neg, APP1, "x", KEY1, 100),
        Err(VerifyError::Expired)
    );
}

#[test]
fn error_texts() {
    assert_eq!(VerifyError::Empty.to_string(), "usersig is empty");
    assert_eq!(VerifyError::Malformed.to_string(), "usersig decode failed");
}

// ---- properties ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn roundtrip_and_mismatches(
        id in any::<String>(), key in any::<String>(), app in any::<u64>(),
        expire in any::<i64>(), time in any::<i64>(), back in 0i64..1_000_000,
        other_id in any::<String>(), other_key in any::<String>(), other_app in any::<u64>(),
        userbuf in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
    ) {
        let us = match &userbuf {
            None => generate(app, &key, &id, expire, time),
            Some(ub) => generate_with_userbuf(app, &key, &id, expire, time, ub),
        };
        let claims = Verified { time, expire };
        let now = claims.expires_at().saturating_sub(back);
        prop_assert_eq!(verify(&us, app, &id, &key, now), Ok(claims));
        if let Some(after) = claims.expires_at().checked_add(1) {
            prop_assert_eq!(verify(&us, app, &id, &key, after), Err(VerifyError::Expired));
        }
        if other_app != app {
            prop_assert_eq!(verify(&us, other_app, &id, &key, now), Err(VerifyError::SdkAppIdMismatch));
        }
        if other_id != id {
            prop_assert_eq!(verify(&us, app, &other_id, &key, now), Err(VerifyError::IdentifierMismatch));
        }
        // HMAC zero-pads short keys, so keys differing only in trailing NULs are the same key.
        if other_key.trim_end_matches('\0') != key.trim_end_matches('\0') {
            prop_assert_eq!(verify(&us, app, &id, &other_key, now), Err(VerifyError::BadSignature));
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>(), app in any::<u64>(), now in any::<i64>()) {
        let _ = verify(&s, app, "xiaojun", KEY1, now);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), level in 0u32..10) {
        let _ = v1(&tencent_b64(&bytes), 1700000001);
        let _ = v1(&wrap(&bytes, level), 1700000001);
    }

    #[test]
    fn mutated_vectors_never_panic(pos in any::<proptest::sample::Index>(), byte in any::<u8>(), which in 0usize..3) {
        let doc = [V1_JSON, V4_JSON, NODE_V1_JSON][which];
        let mut json = doc.as_bytes().to_vec();
        let i = pos.index(json.len());
        json[i] = byte;
        let _ = v1(&wrap(&json, 6), 1700000001);
        let mut z = zlib_bytes(V1);
        let i = pos.index(z.len());
        z[i] = byte;
        let _ = v1(&tencent_b64(&z), 1700000001);
    }
}

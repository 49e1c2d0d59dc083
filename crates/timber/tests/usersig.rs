//! UserSigs over real HTTP: signatures laid out like the Node and Go reference generators are
//! accepted, the spec's vectors (expired by now) answer 70001, and `timber usersig` prints a
//! signature the server accepts. spec: usersig.md §2.1, §3, §5.

mod common;

use base64::Engine;
use common::{now, ServerOptions, TestApp, TestServer, TIMBER};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use hmac::{Hmac, Mac};
use serde_json::json;
use std::io::Write;

const CHECK: &str = "im_open_login_svc/account_check";

/// `TLS.sig`: HMAC-SHA256 over the fixed text of usersig.md §2 step 1, standard base64.
fn tls_sig(sdkappid: u64, key: &str, identifier: &str, time: i64, expire: i64) -> String {
    let text = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// zlib at `level`, standard base64, then Tencent's `+`→`*`, `/`→`-`, `=`→`_`.
fn pack(json: &str, level: Compression) -> String {
    let mut z = ZlibEncoder::new(Vec::new(), level);
    z.write_all(json.as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD
        .encode(z.finish().unwrap())
        .replace('+', "*")
        .replace('/', "-")
        .replace('=', "_")
}

/// Node `tls-sig-api-v2`: compact JSON, order ver, identifier, sdkappid, time, expire, sig;
/// zlib default level.
fn node_style(sdkappid: u64, key: &str, identifier: &str, expire: i64, time: i64) -> String {
    let json = format!(
        r#"{{"TLS.ver":"2.0","TLS.identifier":{},"TLS.sdkappid":{sdkappid},"TLS.time":{time},"TLS.expire":{expire},"TLS.sig":"{}"}}"#,
        json!(identifier),
        tls_sig(sdkappid, key, identifier, time, expire)
    );
    pack(&json, Compression::default())
}

/// Go `tls-sig-api-v2-golang`: compact JSON in struct order (ver, identifier, sdkappid, expire,
/// time, sig) with `omitempty`, a trailing newline (json.Encoder), and zlib NoCompression.
fn go_style(sdkappid: u64, key: &str, identifier: &str, expire: i64, time: i64) -> String {
    let expire_member = if expire == 0 {
        String::new()
    } else {
        format!(r#""TLS.expire":{expire},"#)
    };
    let json = format!(
        "{{\"TLS.ver\":\"2.0\",\"TLS.identifier\":{},\"TLS.sdkappid\":{sdkappid},{expire_member}\"TLS.time\":{time},\"TLS.sig\":\"{}\"}}\n",
        json!(identifier),
        tls_sig(sdkappid, key, identifier, time, expire)
    );
    pack(&json, Compression::none())
}

/// Numbers given as strings: no reference generator emits them, but the verifier is lenient.
fn string_numbers(sdkappid: u64, key: &str, identifier: &str, expire: i64, time: i64) -> String {
    let json = format!(
        r#"{{"TLS.ver":"2.0","TLS.identifier":{},"TLS.sdkappid":"{sdkappid}","TLS.expire":"{expire}","TLS.time":"{time}","TLS.sig":"{}"}}"#,
        json!(identifier),
        tls_sig(sdkappid, key, identifier, time, expire)
    );
    pack(&json, Compression::best())
}

#[tokio::test]
async fn reference_layouts_are_accepted() {
    let server = TestServer::start().await;
    let app = server.apps[0].clone();
    let (id, key, admin) = (app.sdkappid, app.key.as_str(), app.admin.as_str());
    let t = now();
    let python = timber_usersig::generate(id, key, admin, 86_400, t);
    let node = node_style(id, key, admin, 86_400, t);
    let go = go_style(id, key, admin, 86_400, t);
    let strings = string_numbers(id, key, admin, 86_400, t);
    // Four different byte layouts of the same claims: the zlib header tells the level apart.
    assert!(python.starts_with("eJ") && node.starts_with("eJ"));
    assert!(go.starts_with("eA"), "Go uses stored blocks: {go}");
    assert!(strings.starts_with("eN"));
    assert_ne!(python, node);

    #[rustfmt::skip]
    let cases: Vec<(&str, String, u64)> = vec![
        ("Python layout", python, 0),
        ("Node layout", node, 0),
        ("Go layout", go, 0),
        ("numbers as strings", strings, 0),
        ("Node layout, another key", node_style(id, "nope", admin, 86_400, t), 70009),
        ("Go layout, another key", go_style(id, "nope", admin, 86_400, t), 70009),
        ("Node layout, expired", node_style(id, key, admin, 10, t - 100), 70001),
        // Go omits a zero expire (`omitempty`): missing means 0, i.e. already expired.
        ("Go layout, expire 0", go_style(id, key, admin, 0, t - 5), 70001),
        ("Go layout, another identifier", go_style(id, key, "someone", 86_400, t), 70013),
        ("Node layout, another SDKAppID", node_style(id + 1, key, admin, 86_400, t), 70014),
    ];
    let client = server.client();
    for (what, sig, expected) in cases {
        let code = client
            .request(CHECK)
            .body(r#"{"CheckItem":[]}"#)
            .param("usersig", &sig)
            .send()
            .await
            .code();
        assert_eq!(code, expected, "{what}: {sig}");
    }
}

/// usersig.md §5 vectors were valid once; at today's date every one of them is expired.
#[tokio::test]
async fn spec_vectors_are_expired_now() {
    const V1_KEY: &str = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
    let server = TestServer::start_with(ServerOptions {
        apps: vec![
            TestApp {
                sdkappid: 1_400_000_000,
                key: V1_KEY.into(),
                admin: "xiaojun".into(),
            },
            TestApp {
                sdkappid: 1_600_012_345,
                key: "test-secret-key-0123456789abcdef".into(),
                admin: "user_01-A".into(),
            },
        ],
        ..Default::default()
    })
    .await;
    #[rustfmt::skip]
    let vectors: &[(&str, u64, &str, &str)] = &[
        ("V1", 1_400_000_000, "xiaojun", "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPXFmekgG3zKHM1T9D3LzdODi-OKs8vCqpxcAvydnV2SSv2cy03cPcpDnA2SMgu0nUxslWoBHdYzUg__"),
        ("V2", 1_400_000_000, "administrator", "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkElNyM-Myi0uKEkvyi2BKilOyEwsKMlOACgxNDKAAKpdaUZBZlAqUsTAzgQuWZOaChAzNDY2MTUzNzC1gBmWmgy2pTEoOr3KNcPGzMNFPT6vQNsgryotK9AkyKi8JcPb2LHYJy-JNdfcoLfe1VaoFAFWQNfE_"),
        ("V3", 1_600_012_345, "user_01-A", "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkSotTi*INDHUdYdLFKdmJBQWZKUBJQzMDAwNDI2MTU6hcakVBZlEqUMYYKAMVK8nMBYkYmhubmllYIsSLM9NB5qdkeOu7*pf4OwanmaZFplq6h2eHVvnmJ7maGhgYF*aaBaSHmIbkJ1tkWabbKtUCAIPYMmg_"),
        ("V4 (userbuf)", 1_400_000_000, "xiaojun", "eJyrVgrxCdYrSy1SslJQMtIzUNJRAItkpqTmlWSmZUIkKjIT87NK82CSxSnZiQUFmSlAKUMTAyiAyqVWFGQWpYJkTE1NjRDiJZm5YFFzNPWlxalFSaVpIFsiw72y4FZkpoOEArNCjAwMKwKyI7L1E30NU7UrDcoSs6OSDLyNMgOK3EpTtbUNik0rzZLcfG2VagHdkjl6"),
        ("V1 (Node)", 1_400_000_000, "xiaojun", "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwhWZiflZpXlQqeKU7MSCgswUJStDEwMogMiUZOamKlkZmqOKplYUZBaBxE1NTY3gosWZ6UpWSj5ljuYp*p7l5unBxXnF2WVhVU4uAf7Ozi5JpX7O5SbuHuUhzgZJmQXaTia2SrUAohcx8g__"),
        ("V2 (Node)", 1_400_000_000, "administrator", "eJyrVgrxCdYrSy1SslIy0jNQ0gHzM1NS80oy0zLBwokpuZl5mcUlRYkl*UVQBcUp2YkFBZkpSlaGJgZQAJEpycxNVbIyNDc0MjYxNTO3gIimVhRkFqUqWVmYmcAUFmemgwyvTEoOr3KNcPGzMNFPT6vQNsgryotK9AkyKi8JcPb2LHYJy-JNdfcoLfe1VaoFAMb3NJE_"),
        ("V3 (Node)", 1_600_012_345, "user_01-A", "eJw9ycEKgkAQgOF3mXPZrNtuutDBg3SoMNCITmHtaJOYphZR9O6BRsf-*9*QrGLnQQ0YcB2EUd9s6dpxxj3fW2oOKMbBb7a2SOuaLRihEVG4cqqG03FJYMRMKu35GnFQetbcEBj5l5ZzMGDPy0kYdVEQZyrbk7-YFdvXujqGClHeSr3JE5VUJ*-i53P4fAEMPDEI"),
        ("V1 (Go layout)", 1_400_000_000, "xiaojun", "eAEBrABT-3siVExTLnZlciI6IjIuMCIsIlRMUy5pZGVudGlmaWVyIjoieGlhb2p1biIsIlRMUy5zZGthcHBpZCI6MTQwMDAwMDAwMCwiVExTLmV4cGlyZSI6MTU1NTIwMDAsIlRMUy50aW1lIjoxNzAwMDAwMDAwLCJUTFMuc2lnIjoiTHZBN2QvSXc3Z1NzbnNrdlZ6QkRQT0NDRGJ1TkN3NEdId1RDMGJpcCtCND0ifQrfwzH8"),
    ];
    for (name, sdkappid, identifier, sig) in vectors {
        let client = server.client_with_sig(*sdkappid, identifier, sig);
        let (code, info) = client.call_err(CHECK, json!({"CheckItem": []})).await;
        assert_eq!(code, 70001, "{name}: {info}");
    }
    // The same apps accept fresh signatures, so 70001 above is about time, not keys.
    for app in 0..2 {
        let admin = server.apps[app].admin.clone();
        server
            .client_for(app, &admin)
            .call_ok(CHECK, json!({"CheckItem": []}))
            .await;
    }
}

/// Runs `timber usersig ARGS` and returns the one line it prints.
fn cli_usersig(args: &[&str]) -> String {
    let out = std::process::Command::new(TIMBER)
        .arg("usersig")
        .args(args)
        .output()
        .expect("run timber usersig");
    assert!(
        out.status.success(),
        "timber usersig {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("UTF-8 output");
    assert_eq!(text.lines().count(), 1, "one line expected: {text:?}");
    text.trim().to_owned()
}

#[tokio::test]
async fn usersig_command_prints_an_accepted_signature() {
    let server = TestServer::start_with(ServerOptions {
        apps: vec![TestApp {
            admin: "ops".into(),
            ..TestApp::random()
        }],
        ..Default::default()
    })
    .await;
    let app = server.apps[0].clone();
    let id = app.sdkappid.to_string();
    let args = |who: &'static str| vec!["--sdkappid", &id, "--key", &app.key, "--identifier", who];

    for who in ["administrator", "ops"] {
        let sig = cli_usersig(&args(who));
        let claims = timber_usersig::verify(&sig, app.sdkappid, who, &app.key, now())
            .expect("the printed UserSig verifies");
        assert_eq!(claims.expire, 180 * 86_400, "default lifetime is 180 days");
        server
            .client_with_sig(app.sdkappid, who, &sig)
            .call_ok(CHECK, json!({"CheckItem": []}))
            .await;
    }

    // --expire is honoured: a lifetime of an hour, and one that already ended.
    let mut a = args("ops");
    a.extend(["--expire", "3600"]);
    let sig = cli_usersig(&a);
    let claims = timber_usersig::verify(&sig, app.sdkappid, "ops", &app.key, now()).unwrap();
    assert_eq!(claims.expire, 3600);
    let mut a = args("ops");
    a.push("--expire=-1");
    let sig = cli_usersig(&a);
    let (code, _) = server
        .client_with_sig(app.sdkappid, "ops", &sig)
        .call_err(CHECK, json!({"CheckItem": []}))
        .await;
    assert_eq!(code, 70001);

    // A signature for a non-admin is valid, and the server says so with 60010, not 700xx.
    let sig = cli_usersig(&args("bob"));
    let (code, _) = server
        .client_with_sig(app.sdkappid, "bob", &sig)
        .call_err(CHECK, json!({"CheckItem": []}))
        .await;
    assert_eq!(code, 60010);
}

#[test]
fn usersig_command_refuses_bad_arguments() {
    for args in [
        vec!["--key", "k", "--identifier", "a"],
        vec!["--sdkappid", "x", "--key", "k", "--identifier", "a"],
        vec!["--sdkappid", "1", "--identifier", "a"],
    ] {
        let out = std::process::Command::new(TIMBER)
            .arg("usersig")
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} should be refused");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
}

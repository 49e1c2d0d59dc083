//! Tencent Cloud Chat UserSig v2 (TLSSigAPIv2): generate and verify.
//!
//! A UserSig is `zlib(JSON)` in base64 with Tencent's alphabet (`+`→`*`, `/`→`-`, `=`→`_`).
//! The JSON carries the claims plus `TLS.sig`, an HMAC-SHA256 over a fixed text built from
//! those claims. Reference generators disagree on JSON layout and zlib level, so verification
//! decodes and checks fields; it never re-generates and compares strings.

use base64::alphabet::STANDARD;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, Engine};
use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer};
use sha2::Sha256;
use std::io::Write;

type HmacSha256 = Hmac<Sha256>;

/// Claims of a UserSig whose HMAC verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub time: i64,
    pub expire: i64,
}

impl Verified {
    /// Last second at which the UserSig is still valid (`time + expire`, saturating).
    pub fn expires_at(&self) -> i64 {
        self.time.saturating_add(self.expire)
    }
}

/// Why a UserSig was rejected; variants are listed in the order they are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("usersig is empty")]
    Empty,
    #[error("usersig decode failed")]
    Malformed,
    #[error("sdkappid does not match the usersig")]
    SdkAppIdMismatch,
    #[error("identifier does not match the usersig")]
    IdentifierMismatch,
    #[error("usersig expired")]
    Expired,
    #[error("usersig signature verification failed")]
    BadSignature,
}

/// Upper bound on the inflated JSON; real UserSigs are a few hundred bytes, so anything
/// larger is treated as malformed rather than risking a zlib bomb.
const MAX_INFLATED: usize = 64 * 1024;

/// Standard alphabet that accepts input with or without `=` padding.
const LENIENT_B64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Standard base64 with padding, as every reference generator emits.
const B64: GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The JSON document inside a UserSig. Unknown members are ignored; duplicate members are
/// rejected by serde.
#[derive(Deserialize)]
struct Doc {
    #[serde(rename = "TLS.ver")]
    ver: String,
    #[serde(rename = "TLS.identifier")]
    identifier: String,
    #[serde(rename = "TLS.sdkappid", deserialize_with = "int_or_str")]
    sdkappid: u64,
    /// The Go generator omits a zero `expire` (`omitempty`), so absence means 0.
    #[serde(rename = "TLS.expire", default, deserialize_with = "int_or_str")]
    expire: i64,
    #[serde(rename = "TLS.time", deserialize_with = "int_or_str")]
    time: i64,
    #[serde(rename = "TLS.userbuf")]
    userbuf: Option<String>,
    #[serde(rename = "TLS.sig")]
    sig: String,
}

/// Accepts a JSON integer or, leniently, a string holding a decimal integer.
fn int_or_str<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + std::str::FromStr,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrStr<T> {
        Int(T),
        Str(String),
    }
    match IntOrStr::<T>::deserialize(d)? {
        IntOrStr::Int(n) => Ok(n),
        IntOrStr::Str(s) => s
            .parse()
            .map_err(|_| serde::de::Error::custom("not a decimal integer")),
    }
}

/// The exact text that `TLS.sig` is an HMAC of (spec §2 step 1).
fn signed_text(
    identifier: &str,
    sdkappid: u64,
    time: i64,
    expire: i64,
    userbuf: Option<&str>,
) -> String {
    let mut s = format!(
        "TLS.identifier:{identifier}\nTLS.sdkappid:{sdkappid}\nTLS.time:{time}\nTLS.expire:{expire}\n"
    );
    if let Some(ub) = userbuf {
        s.push_str("TLS.userbuf:");
        s.push_str(ub);
        s.push('\n');
    }
    s
}

fn mac(key: &str, text: &str) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC accepts any key length");
    m.update(text.as_bytes());
    m
}

/// Inflates a zlib stream, failing on truncation, corruption (incl. Adler-32) or output
/// beyond [`MAX_INFLATED`]. Bytes after the end of the stream are ignored.
fn inflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut z = Decompress::new(true);
    let mut out = Vec::with_capacity((data.len() * 4).clamp(256, MAX_INFLATED + 1));
    loop {
        let (in_before, out_before) = (z.total_in(), z.total_out());
        let rest = data.get(usize::try_from(in_before).ok()?..)?;
        // `Finish` would make miniz_oxide demand the whole output in one call; `None` lets it grow.
        match z
            .decompress_vec(rest, &mut out, FlushDecompress::None)
            .ok()?
        {
            Status::StreamEnd => return Some(out),
            _ if out.len() > MAX_INFLATED => return None,
            _ if out.len() == out.capacity() => {
                let grow = out.capacity().min(MAX_INFLATED + 1 - out.len());
                out.reserve_exact(grow);
            }
            // Room left but no progress: the input ended before the stream did.
            _ if z.total_in() == in_before && z.total_out() == out_before => return None,
            _ => {}
        }
    }
}

/// Undoes Tencent's alphabet, base64-decodes, inflates and parses the JSON document.
fn decode(usersig: &str) -> Option<Doc> {
    let b64: String = usersig
        .chars()
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            c => c,
        })
        .collect();
    let compressed = LENIENT_B64.decode(b64).ok()?;
    let json = inflate(&compressed)?;
    let doc: Doc = serde_json::from_slice(&json).ok()?;
    (doc.ver == "2.0").then_some(doc)
}

/// Verify `usersig` (already percent-decoded by the caller; it still uses Tencent's `*`,`-`,`_`
/// alphabet) for (sdkappid, identifier) with the app's secret `key` (raw UTF-8 bytes as HMAC
/// key), at unix time `now`.
///
/// Checks run in the order of the Go reference (spec §3): empty → decode/parse → sdkappid →
/// identifier → expiry → HMAC, so e.g. an expired sig under a wrong key reports `Expired`.
pub fn verify(
    usersig: &str,
    sdkappid: u64,
    identifier: &str,
    key: &str,
    now: i64,
) -> Result<Verified, VerifyError> {
    if usersig.is_empty() {
        return Err(VerifyError::Empty);
    }
    let doc = decode(usersig).ok_or(VerifyError::Malformed)?;
    if doc.sdkappid != sdkappid {
        return Err(VerifyError::SdkAppIdMismatch);
    }
    if doc.identifier != identifier {
        return Err(VerifyError::IdentifierMismatch);
    }
    let claims = Verified {
        time: doc.time,
        expire: doc.expire,
    };
    if now > claims.expires_at() {
        return Err(VerifyError::Expired);
    }
    // As with Go's string compare, an undecodable `TLS.sig` is a mismatch, not a parse error.
    let sig = LENIENT_B64
        .decode(&doc.sig)
        .map_err(|_| VerifyError::BadSignature)?;
    let text = signed_text(
        &doc.identifier,
        doc.sdkappid,
        doc.time,
        doc.expire,
        doc.userbuf.as_deref(),
    );
    // `verify_slice` compares in constant time and rejects any length other than 32.
    mac(key, &text)
        .verify_slice(&sig)
        .map_err(|_| VerifyError::BadSignature)?;
    Ok(claims)
}

/// Generate a UserSig in the Python reference layout: member order ver, identifier, sdkappid,
/// expire, time, [userbuf], sig; `", "` and `": "` separators; zlib default level.
pub fn generate(sdkappid: u64, key: &str, identifier: &str, expire: i64, time: i64) -> String {
    build(sdkappid, key, identifier, expire, time, None)
}

/// Like [`generate`], plus a `TLS.userbuf` member (standard base64 of `userbuf`), also signed.
pub fn generate_with_userbuf(
    sdkappid: u64,
    key: &str,
    identifier: &str,
    expire: i64,
    time: i64,
    userbuf: &[u8],
) -> String {
    build(sdkappid, key, identifier, expire, time, Some(userbuf))
}

fn build(
    sdkappid: u64,
    key: &str,
    identifier: &str,
    expire: i64,
    time: i64,
    userbuf: Option<&[u8]>,
) -> String {
    let userbuf = userbuf.map(|b| B64.encode(b));
    let text = signed_text(identifier, sdkappid, time, expire, userbuf.as_deref());
    let sig = B64.encode(mac(key, &text).finalize().into_bytes());

    let mut json = format!(
        "{{\"TLS.ver\": \"2.0\", \"TLS.identifier\": {}, \"TLS.sdkappid\": {sdkappid}, \"TLS.expire\": {expire}, \"TLS.time\": {time}, ",
        py_json_string(identifier)
    );
    if let Some(ub) = &userbuf {
        json.push_str(&format!("\"TLS.userbuf\": \"{ub}\", "));
    }
    json.push_str(&format!("\"TLS.sig\": \"{sig}\"}}"));

    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(json.as_bytes())
        .expect("writing to a Vec cannot fail");
    let compressed = z.finish().expect("writing to a Vec cannot fail");
    B64.encode(compressed)
        .chars()
        .map(|c| match c {
            '+' => '*',
            '/' => '-',
            '=' => '_',
            c => c,
        })
        .collect()
}

/// JSON string literal as Python's `json.dumps` writes it (`ensure_ascii`): control and
/// non-ASCII characters become `\uXXXX` (surrogate pairs above U+FFFF) unless a short
/// escape exists.
fn py_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='\u{7f}' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;

//! `v4/im_cos_msg/*`: ban, unban and sign chat files. spec: push-and-operations.md §4.4,
//! §8. timber stores no files: it keeps the app's set of banned URLs, and a signed URL is the
//! raw URL with `sign` and `expires` (15 minutes) appended; `Status` 1 for a banned URL, 0
//! otherwise (2, "does not exist", is never reported).

use crate::envelope::{self, Empty};
use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use timber_core::{Error, ErrorCode};

/// How long a signed URL is valid.
const SIG_SECS: i64 = 15 * 60;
const MAX_URL_BYTES: usize = 2048;
const MAX_URLS: usize = 100;

fn check_url(url: &str) -> Result<(), Error> {
    if url.is_empty() || url.len() > MAX_URL_BYTES || url.contains('\0') {
        return Err(Error::new(
            ErrorCode::JsonParse,
            format!("RawURL must be 1 to {MAX_URL_BYTES} bytes without NUL"),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct UrlReq {
    #[serde(rename = "RawURL")]
    url: String,
}

/// `forbid_illegal_object`.
pub async fn forbid_illegal_object(ctx: &Ctx, req: UrlReq) -> Result<Empty, Failure> {
    check_url(&req.url)?;
    ctx.store()
        .set_file_banned(ctx.caller.app.sdkappid, req.url, true)
        .await?;
    Ok(Empty {})
}

/// `allow_banned_object`.
pub async fn allow_banned_object(ctx: &Ctx, req: UrlReq) -> Result<Empty, Failure> {
    check_url(&req.url)?;
    ctx.store()
        .set_file_banned(ctx.caller.app.sdkappid, req.url, false)
        .await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
struct RawUrl {
    #[serde(rename = "ResourceID")]
    id: i64,
    #[serde(rename = "RawURL")]
    url: String,
}

#[derive(Deserialize)]
pub struct SigReq {
    #[serde(rename = "RawURLs", deserialize_with = "envelope::objects")]
    urls: Vec<RawUrl>,
}

#[derive(Serialize)]
struct PreSig {
    #[serde(rename = "ResourceID")]
    id: i64,
    #[serde(rename = "Code")]
    code: u32,
    #[serde(rename = "Desc")]
    desc: &'static str,
    #[serde(rename = "PreSigURL")]
    url: String,
    #[serde(rename = "Status")]
    status: u32,
}

#[derive(Serialize)]
pub struct SigResp {
    #[serde(rename = "PreSigURLs")]
    urls: Vec<PreSig>,
}

/// `get_cos_sig`: each URL signed for 15 minutes, with its ban status.
pub async fn get_cos_sig(ctx: &Ctx, req: SigReq) -> Result<SigResp, Failure> {
    if req.urls.len() > MAX_URLS {
        return Err(Error::new(
            ErrorCode::JsonParse,
            format!("{} URLs given; at most {MAX_URLS}", req.urls.len()),
        )
        .into());
    }
    req.urls.iter().try_for_each(|u| check_url(&u.url))?;
    let app = &ctx.caller.app;
    let banned = ctx
        .store()
        .files_banned(
            app.sdkappid,
            req.urls.iter().map(|u| u.url.clone()).collect(),
        )
        .await?;
    let expires = ctx.now + SIG_SECS;
    let urls = req
        .urls
        .into_iter()
        .zip(banned)
        .map(|(u, banned)| {
            let digest = Sha256::digest(format!("{}\n{}\n{expires}", app.key, u.url));
            let sign: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            let sep = if u.url.contains('?') { '&' } else { '?' };
            PreSig {
                id: u.id,
                code: 0,
                desc: "",
                url: format!("{}{sep}sign={sign}&expires={expires}", u.url),
                status: u32::from(banned),
            }
        })
        .collect();
    Ok(SigResp { urls })
}

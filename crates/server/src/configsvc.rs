//! `v4/ConfigSvc/GetIPList`: the addresses clients and callback allow-lists use. spec:
//! push-and-operations.md §3.3, §8. timber is its own server and its own callback sender, so
//! every `nettype` (a query parameter, absent = 0) answers the same list: the loopback address.

use crate::failure::Failure;
use crate::Ctx;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct GetIpListReq {}

#[derive(Serialize)]
pub struct GetIpListResp {
    #[serde(rename = "IPList")]
    ips: Vec<&'static str>,
}

pub async fn get_ip_list(_ctx: &Ctx, _req: GetIpListReq) -> Result<GetIpListResp, Failure> {
    Ok(GetIpListResp {
        ips: vec!["127.0.0.1"],
    })
}

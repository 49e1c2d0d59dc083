//! Fault injection (`POST /_timber/faults`, `DELETE /_timber/faults`): chosen commands of an
//! app fail with a chosen ErrorCode, or answer late, for the next N calls or a fraction of
//! them, so that a client's error handling and timeouts can be tested against the real API.
//! A fault applies after the caller is authenticated and before the command runs: a failed
//! call changes nothing.

use super::{answer, caller, ok};
use crate::State;
use axum::body::Body;
use axum::extract::{RawQuery, State as AxState};
use axum::http::Method;
use axum::response::Response;
use rand::Rng;
use serde::Deserialize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use timber_core::{AppId, Error, ErrorCode};

/// The longest delay a fault may add: longer than any client waits.
const MAX_DELAY_MS: u64 = 120_000;

/// One fault as posted.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct Rule {
    /// The service (`openim`); absent: any.
    #[serde(default)]
    pub service: Option<String>,
    /// The command (`sendmsg`); absent or `*`: any.
    #[serde(default)]
    pub command: Option<String>,
    /// The code to answer with; absent: the call runs (after `DelayMs`).
    #[serde(default)]
    pub error_code: Option<u32>,
    #[serde(default)]
    pub error_info: Option<String>,
    /// Added before the call is answered (or run).
    #[serde(default)]
    pub delay_ms: u64,
    /// How many matching calls it hits; absent: every one until cleared.
    #[serde(default)]
    pub count: Option<u64>,
    /// The chance that it hits a matching call (0 < f ≤ 1); absent: 1.
    #[serde(default)]
    pub fraction: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Post {
    faults: Vec<Rule>,
}

/// The faults of every app, in the order they were posted.
#[derive(Default)]
pub struct Faults {
    rules: Mutex<Vec<(AppId, Rule)>>,
}

/// What a hit fault does to a call.
pub struct Hit {
    pub delay: Duration,
    pub error: Option<Error>,
}

impl Faults {
    /// The first fault of `app` matching the call, if it hits; a hit counts against `Count`.
    /// Costs one uncontended lock and an empty check when no fault is set.
    pub fn hit(&self, app: AppId, service: &str, command: &str) -> Option<Hit> {
        let mut rules = self.rules.lock().ok()?;
        if rules.is_empty() {
            return None;
        }
        let i = rules.iter().position(|(a, r)| {
            *a == app
                && r.service.as_deref().is_none_or(|s| s == service)
                && r.command
                    .as_deref()
                    .is_none_or(|c| c == "*" || c == command)
        })?;
        let rule = &mut rules[i].1;
        if let Some(f) = rule.fraction {
            if rand::rng().random::<f64>() >= f {
                return None;
            }
        }
        let hit = Hit {
            delay: Duration::from_millis(rule.delay_ms),
            error: rule.error_code.map(|code| {
                let info = rule
                    .error_info
                    .clone()
                    .unwrap_or_else(|| format!("fault injected by /_timber/faults ({code})"));
                Error::new(ErrorCode::AppDefined(code), info)
            }),
        };
        if let Some(n) = &mut rule.count {
            *n -= 1;
            if *n == 0 {
                rules.remove(i);
            }
        }
        Some(hit)
    }

    /// Removes the faults of `app`, or of every app.
    pub fn clear(&self, app: Option<AppId>) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.retain(|(a, _)| app.is_some_and(|app| app != *a));
        }
    }

    fn add(&self, app: AppId, new: Vec<Rule>) {
        if let Ok(mut rules) = self.rules.lock() {
            rules.extend(new.into_iter().map(|r| (app, r)));
        }
    }
}

fn check(rule: &Rule) -> Result<(), String> {
    if rule.error_code.is_none() && rule.delay_ms == 0 {
        return Err("a fault needs an ErrorCode, a DelayMs, or both".into());
    }
    if rule.error_code == Some(0) {
        return Err("ErrorCode 0 is success, not a fault".into());
    }
    if rule.delay_ms > MAX_DELAY_MS {
        return Err(format!("DelayMs is at most {MAX_DELAY_MS}"));
    }
    if rule.count == Some(0) {
        return Err("Count must be at least 1".into());
    }
    if rule.fraction.is_some_and(|f| !(f > 0.0 && f <= 1.0)) {
        return Err("Fraction must be in (0, 1]".into());
    }
    Ok(())
}

/// `POST /_timber/faults` (`{"Faults":[…]}`, added to those set) and `DELETE /_timber/faults`
/// (the caller's app's faults removed).
pub(crate) async fn endpoint(
    AxState(state): AxState<Arc<State>>,
    RawQuery(raw): RawQuery,
    method: Method,
    body: Body,
) -> Response {
    answer(
        async {
            let caller = caller(&state, raw.as_deref()).await?;
            let app = caller.app.sdkappid;
            if method == Method::DELETE {
                state.faults.clear(Some(app));
                return Ok(ok(serde_json::json!({})));
            }
            if method != Method::POST {
                return Err(Error::new(ErrorCode::HttpParse, "use POST or DELETE"));
            }
            let bytes = crate::read_body(body, state.settings.max_body_bytes).await?;
            let post: Post = serde_json::from_slice(&bytes)
                .map_err(|e| Error::new(ErrorCode::JsonParse, format!("invalid faults: {e}")))?;
            for rule in &post.faults {
                check(rule).map_err(|e| Error::new(ErrorCode::HttpParse, e))?;
            }
            let n = post.faults.len();
            state.faults.add(app, post.faults);
            Ok(ok(serde_json::json!({ "Added": n })))
        }
        .await,
    )
}

//! The process's open-file limit. Every connection is a file descriptor, and the usual soft
//! limit (1,024) is far below what a server needs, while the hard limit a distribution or
//! container sets is usually much higher: raising the soft limit to it at start is what every
//! server does (nginx's `worker_rlimit_nofile`, systemd's advice for `LimitNOFILE`).

/// Raises the soft `RLIMIT_NOFILE` to the hard limit, and returns the soft limit now in effect
/// (`None` when it cannot be read, or is unlimited). A failure to raise it is logged and the
/// old limit is used: timber still works, with fewer connections
/// ([`crate::listener::default_max_connections`] follows the limit that is in effect).
#[cfg(unix)]
pub fn raise_to_hard_limit() -> Option<u64> {
    use rlimit::{getrlimit, setrlimit, Resource, INFINITY};
    let finite = |limit: u64| (limit != INFINITY).then_some(limit);
    let (soft, hard) = match getrlimit(Resource::NOFILE) {
        Ok(limits) => limits,
        Err(e) => {
            tracing::warn!("cannot read the open-file limit (RLIMIT_NOFILE): {e}");
            return None;
        }
    };
    if soft < hard {
        match setrlimit(Resource::NOFILE, hard, hard) {
            Ok(()) => {
                tracing::info!(
                    from = soft,
                    to = finite(hard),
                    "raised the open-file limit (RLIMIT_NOFILE) to its hard limit"
                );
                return finite(hard);
            }
            // macOS refuses a soft limit past OPEN_MAX even under an unlimited hard limit.
            Err(e) => tracing::warn!(
                soft,
                hard = finite(hard),
                "cannot raise the open-file limit (RLIMIT_NOFILE) to its hard limit: {e}"
            ),
        }
    }
    finite(soft)
}

#[cfg(not(unix))]
pub fn raise_to_hard_limit() -> Option<u64> {
    None
}

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
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit(2) writes only into the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        let e = std::io::Error::last_os_error();
        tracing::warn!("cannot read the open-file limit (RLIMIT_NOFILE): {e}");
        return None;
    }
    let soft = limit.rlim_cur;
    if soft < limit.rlim_max {
        let raised = libc::rlimit {
            rlim_cur: limit.rlim_max,
            rlim_max: limit.rlim_max,
        };
        // SAFETY: setrlimit(2) only reads the struct it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
            tracing::info!(
                from = soft,
                to = finite(limit.rlim_max),
                "raised the open-file limit (RLIMIT_NOFILE) to its hard limit"
            );
            return finite(limit.rlim_max);
        }
        // macOS refuses a soft limit past OPEN_MAX even under an unlimited hard limit.
        let e = std::io::Error::last_os_error();
        tracing::warn!(
            soft,
            hard = finite(limit.rlim_max),
            "cannot raise the open-file limit (RLIMIT_NOFILE) to its hard limit: {e}"
        );
    }
    finite(soft)
}

#[cfg(not(unix))]
pub fn raise_to_hard_limit() -> Option<u64> {
    None
}

#[cfg(unix)]
fn finite(limit: libc::rlim_t) -> Option<u64> {
    (limit != libc::RLIM_INFINITY).then_some(limit)
}

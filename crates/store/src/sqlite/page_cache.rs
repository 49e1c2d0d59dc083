//! SQLite's own page cache, minus a scan of the whole cache at commits that need none.
//!
//! When a B-tree page splits, SQLite sorts the new pages by page number, swapping two of
//! them through a temporary number: the locking page, 1 GiB into the file (page 524,289 at
//! timber's 2 KiB pages, 262,145 at 4 KiB). Its page cache remembers that number as the
//! largest it ever held. At the end of every transaction SQLite asks the cache to drop pages
//! past the end of the database, and because that remembered number lies far past the end,
//! the cache walks every page it holds to find none. With the writer's 16 MB cache of 4 KiB
//! pages that walk visited some 4,000 scattered pages, about 75 µs, and it came at a third of
//! the commits of sends over 1,000 groups (BENCHMARKS.md, ledger: page-cache wrapper). Only
//! databases under 1 GiB pay it: in a larger one the locking page lies inside the file, not
//! past its end.
//!
//! This module wraps the default cache and keeps an upper bound of its own on the page
//! numbers the cache holds, in which a number that is only passed through (moved to and away
//! again) does not stay. A truncation that can find nothing is not passed on; every other
//! call goes straight to the default cache, which still does all the caching.
//!
//! It is used only on the SQLite series it was written for (version.rs), and
//! `sqlite_page_cache = false` leaves SQLite's own cache in place.
//!
//! The wrapper is installed with `sqlite3_config`, which SQLite accepts only before it first
//! initializes. If something initialized SQLite earlier in the process, the default cache
//! stays in place and nothing else changes.

use rusqlite::ffi;
use std::ffi::{c_int, c_uint};
use std::sync::OnceLock;

/// Page numbers a cache may hold: every number it holds is at most `max`, or is `passing`.
#[derive(Default)]
pub(crate) struct KeyBound {
    max: u32,
    /// One number above `max` that a page was moved to, and that is expected to be moved
    /// away again (the split's temporary number).
    passing: Option<u32>,
}

impl KeyBound {
    /// The cache returned a page numbered `key`.
    pub(crate) fn fetched(&mut self, key: u32) {
        if key > self.max && self.passing != Some(key) {
            self.max = key;
        }
    }

    /// A page was renumbered from `old` to `new`.
    pub(crate) fn moved(&mut self, old: u32, new: u32) {
        if self.passing == Some(old) {
            self.passing = None;
        }
        if new > self.max {
            match self.passing {
                None => self.passing = Some(new),
                Some(_) => self.max = new,
            }
        }
    }

    /// Whether dropping every page numbered `limit` or more can find one; if so, the bound
    /// afterwards.
    pub(crate) fn truncate(&mut self, limit: u32) -> bool {
        let needed = self.max >= limit || self.passing.is_some_and(|k| k >= limit);
        if needed {
            self.max = self.max.min(limit.saturating_sub(1));
            if self.passing.is_some_and(|k| k >= limit) {
                self.passing = None;
            }
        }
        needed
    }
}

/// One cache: the default cache's handle and our bound on it.
struct Cache {
    inner: *mut ffi::sqlite3_pcache,
    bound: KeyBound,
}

/// The default cache's methods, saved once by `install`.
static DEFAULT: OnceLock<Methods> = OnceLock::new();

struct Methods(ffi::sqlite3_pcache_methods2);
// SAFETY: the methods are plain function pointers and SQLite's own `pArg`, which SQLite
// itself hands to any thread.
unsafe impl Send for Methods {}
unsafe impl Sync for Methods {}

fn default() -> &'static ffi::sqlite3_pcache_methods2 {
    &DEFAULT.get().expect("page cache installed").0
}

/// Whether `install` has put the wrapper in place in this process.
static INSTALLED: OnceLock<bool> = OnceLock::new();

pub(crate) fn installed() -> bool {
    INSTALLED.get().copied().unwrap_or(false)
}

/// Installs the wrapper if SQLite has not initialized yet (`installed` tells whether it did).
/// Once per process: later calls do nothing.
pub(crate) fn install() {
    INSTALLED.get_or_init(|| {
        // SAFETY: both calls take a pointer to a methods structure, as the option requires;
        // SQLite copies the structure. Both fail (and change nothing) once SQLite has
        // initialized.
        unsafe {
            let mut default = std::mem::zeroed::<ffi::sqlite3_pcache_methods2>();
            let got = ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_GETPCACHE2,
                &mut default as *mut ffi::sqlite3_pcache_methods2,
            );
            if got != ffi::SQLITE_OK || default.xCreate.is_none() {
                return false;
            }
            let wrapper = ffi::sqlite3_pcache_methods2 {
                iVersion: 1,
                pArg: default.pArg,
                xInit: default.xInit,
                xShutdown: default.xShutdown,
                xCreate: Some(create),
                xCachesize: Some(cachesize),
                xPagecount: Some(pagecount),
                xFetch: Some(fetch),
                xUnpin: Some(unpin),
                xRekey: Some(rekey),
                xTruncate: Some(truncate),
                xDestroy: Some(destroy),
                xShrink: Some(shrink),
            };
            let _ = DEFAULT.set(Methods(default));
            ffi::sqlite3_config(
                ffi::SQLITE_CONFIG_PCACHE2,
                &wrapper as *const ffi::sqlite3_pcache_methods2,
            ) == ffi::SQLITE_OK
        }
    });
}

/// # Safety
/// `p` must be a handle that `create` returned and `destroy` has not freed. SQLite never
/// uses one cache from two threads at once.
unsafe fn cache<'a>(p: *mut ffi::sqlite3_pcache) -> &'a mut Cache {
    unsafe { &mut *p.cast::<Cache>() }
}

unsafe extern "C" fn create(
    page: c_int,
    extra: c_int,
    purgeable: c_int,
) -> *mut ffi::sqlite3_pcache {
    // SAFETY: the default cache's own constructor, with SQLite's arguments.
    let inner = unsafe { (default().xCreate.expect("checked at install"))(page, extra, purgeable) };
    if inner.is_null() {
        return inner;
    }
    let cache = Box::new(Cache {
        inner,
        bound: KeyBound::default(),
    });
    Box::into_raw(cache).cast()
}

unsafe extern "C" fn cachesize(p: *mut ffi::sqlite3_pcache, n: c_int) {
    // SAFETY (this and the functions below): `p` is our handle (see `cache`), and each call
    // passes SQLite's arguments on to the default cache unchanged.
    unsafe {
        if let Some(f) = default().xCachesize {
            f(cache(p).inner, n);
        }
    }
}

unsafe extern "C" fn pagecount(p: *mut ffi::sqlite3_pcache) -> c_int {
    unsafe { default().xPagecount.map_or(0, |f| f(cache(p).inner)) }
}

unsafe extern "C" fn fetch(
    p: *mut ffi::sqlite3_pcache,
    key: c_uint,
    create: c_int,
) -> *mut ffi::sqlite3_pcache_page {
    unsafe {
        let cache = cache(p);
        let Some(f) = default().xFetch else {
            return std::ptr::null_mut();
        };
        let page = f(cache.inner, key, create);
        if !page.is_null() {
            cache.bound.fetched(key);
        }
        page
    }
}

unsafe extern "C" fn unpin(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    discard: c_int,
) {
    unsafe {
        if let Some(f) = default().xUnpin {
            f(cache(p).inner, page, discard);
        }
    }
}

unsafe extern "C" fn rekey(
    p: *mut ffi::sqlite3_pcache,
    page: *mut ffi::sqlite3_pcache_page,
    old: c_uint,
    new: c_uint,
) {
    unsafe {
        let cache = cache(p);
        if let Some(f) = default().xRekey {
            f(cache.inner, page, old, new);
        }
        cache.bound.moved(old, new);
    }
}

unsafe extern "C" fn truncate(p: *mut ffi::sqlite3_pcache, limit: c_uint) {
    unsafe {
        let cache = cache(p);
        if cache.bound.truncate(limit) {
            if let Some(f) = default().xTruncate {
                f(cache.inner, limit);
            }
        }
    }
}

unsafe extern "C" fn destroy(p: *mut ffi::sqlite3_pcache) {
    unsafe {
        let cache = Box::from_raw(p.cast::<Cache>());
        if let Some(f) = default().xDestroy {
            f(cache.inner);
        }
    }
}

unsafe extern "C" fn shrink(p: *mut ffi::sqlite3_pcache) {
    unsafe {
        if let Some(f) = default().xShrink {
            f(cache(p).inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KeyBound;

    #[test]
    fn a_number_passed_through_does_not_raise_the_bound() {
        let mut b = KeyBound::default();
        for key in [1, 7, 3] {
            b.fetched(key);
        }
        // A split's swap of pages 3 and 7 through the locking page.
        b.moved(3, 262_145);
        b.moved(7, 3);
        b.moved(262_145, 7);
        assert!(!b.truncate(8), "nothing is numbered 8 or more");
        assert!(b.truncate(7), "page 7 is held");
        assert!(!b.truncate(7), "and was dropped");
    }

    #[test]
    fn a_number_moved_to_and_left_there_is_still_found() {
        let mut b = KeyBound::default();
        b.fetched(5);
        b.moved(5, 100);
        assert!(b.truncate(50));
        assert!(!b.truncate(50));
        // Two numbers above the bound at once: the second raises the bound itself.
        b.fetched(5);
        b.moved(5, 200);
        b.fetched(6);
        b.moved(6, 300);
        assert!(b.truncate(250), "page 300 is held");
        assert!(b.truncate(150), "page 200 is held");
        assert!(!b.truncate(150));
    }

    #[test]
    fn pages_fetched_past_the_end_are_found() {
        let mut b = KeyBound::default();
        b.fetched(10);
        assert!(b.truncate(10));
        assert!(!b.truncate(10));
        assert!(!b.truncate(11));
        b.fetched(12);
        assert!(b.truncate(11));
    }
}

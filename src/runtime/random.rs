//! Random bytes for generated `Request-ID`s, `Idempotency-Key`s and jitter seeds, from the
//! CSPRNG of AWS-LC (which rustls already links, so parcelkit builds no `rand` stack), handed
//! out from a small per-thread pool that a `fork()` empties.

/// A fresh random token, `pk-` and the 32 hex digits of a version-4 UUID, for generated
/// `Request-ID`s and `Idempotency-Key`s.
///
/// See [`random_bytes`] for where the bytes come from and how that stays cheap per request.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes);
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    // Sized once: `pk-` and 32 hex digits.
    let mut token = String::with_capacity(3 + uuid::fmt::Simple::LENGTH);
    token.push_str("pk-");
    token.push_str(uuid.simple().encode_lower(&mut uuid::Uuid::encode_buffer()));
    token
}

/// Fills `dest` (at most [`POOL_SIZE`] bytes) with random bytes from AWS-LC's CSPRNG.
///
/// One call into AWS-LC costs ~0.6 us whatever its size up to a few hundred bytes, so each
/// thread draws [`POOL_SIZE`] bytes at a time and hands them out. A pool is never used across a
/// `fork()`: the child would repeat its parent's next tokens (an `Idempotency-Key` used twice
/// makes the server replay one process's answer to the other), so a fork empties every pool.
pub(crate) fn random_bytes(dest: &mut [u8]) {
    use std::cell::RefCell;
    struct Pool {
        bytes: [u8; POOL_SIZE],
        used: usize,
        forks: u64,
    }
    thread_local! {
        static POOL: RefCell<Pool> = const {
            RefCell::new(Pool { bytes: [0; POOL_SIZE], used: POOL_SIZE, forks: 0 })
        };
    }
    assert!(
        dest.len() <= POOL_SIZE,
        "at most {POOL_SIZE} bytes at a time"
    );
    let forks = forks_seen();
    POOL.with_borrow_mut(|pool| {
        if pool.used + dest.len() > POOL_SIZE || pool.forks != forks {
            // AWS-LC aborts the process itself when it cannot seed; an error here is a broken build.
            aws_lc_rs::rand::fill(&mut pool.bytes).expect("AWS-LC's random generator works");
            pool.used = 0;
            pool.forks = forks;
        }
        let drawn = &mut pool.bytes[pool.used..pool.used + dest.len()];
        dest.copy_from_slice(drawn);
        // Handed out once: zeroed, so nothing in memory can give it again.
        drawn.fill(0);
        pool.used += dest.len();
    });
}

/// How many times this process's lineage has forked since the first random draw: a pool filled
/// under another count belongs to another process. An atomic read, where asking the process id
/// would be a system call per draw (~0.5 us on a virtual machine).
#[cfg(unix)]
fn forks_seen() -> u64 {
    use std::sync::Once;
    use std::sync::atomic::{AtomicU64, Ordering};
    static FORKS: AtomicU64 = AtomicU64::new(0);
    static WATCH: Once = Once::new();
    extern "C" fn in_child() {
        // Runs in the child right after fork(): an atomic add is async-signal-safe.
        FORKS.fetch_add(1, Ordering::Relaxed);
    }
    WATCH.call_once(|| {
        // SAFETY: registers a handler with no preparation or parent part; the child part only
        // touches an atomic. A failed registration (ENOMEM) would leave forks unseen, so it panics.
        let registered = unsafe { libc::pthread_atfork(None, None, Some(in_child)) };
        assert_eq!(registered, 0, "pthread_atfork failed");
    });
    FORKS.load(Ordering::Relaxed)
}

/// No fork() on this platform.
#[cfg(not(unix))]
fn forks_seen() -> u64 {
    0
}

/// How many random bytes a thread draws from AWS-LC at a time.
const POOL_SIZE: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_are_version_4_uuids_and_distinct() {
        let tokens: std::collections::HashSet<String> = (0..1000).map(|_| random_token()).collect();
        assert_eq!(tokens.len(), 1000);
        for token in &tokens {
            let hex = token.strip_prefix("pk-").expect("the pk- prefix");
            let uuid = uuid::Uuid::parse_str(hex).expect("32 hex digits");
            assert_eq!(uuid.get_version_num(), 4, "{token}");
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{token}");
        }
    }

    /// A forked child draws fresh bytes, not the rest of its parent's pool.
    #[cfg(unix)]
    #[test]
    fn a_forked_child_does_not_repeat_the_parents_tokens() {
        // Leave most of this thread's pool unused, then fork.
        let _ = random_token();
        let mut pipe = [0; 2];
        // SAFETY: plain libc calls; the child only computes a token, writes it and exits.
        unsafe {
            assert_eq!(libc::pipe(pipe.as_mut_ptr()), 0);
            match libc::fork() {
                -1 => panic!("fork failed"),
                0 => {
                    let token = random_token();
                    libc::write(pipe[1], token.as_ptr().cast(), token.len());
                    libc::_exit(0);
                }
                child => {
                    let parents = random_token();
                    let mut buf = [0u8; 64];
                    let n = libc::read(pipe[0], buf.as_mut_ptr().cast(), buf.len());
                    libc::waitpid(child, std::ptr::null_mut(), 0);
                    let childs = std::str::from_utf8(&buf[..n as usize]).unwrap();
                    assert_eq!(childs.len(), parents.len());
                    assert_ne!(
                        childs, parents,
                        "the child repeated the parent's next token"
                    );
                }
            }
        }
    }
}

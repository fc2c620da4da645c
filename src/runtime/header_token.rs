//! The token grammar Smart Send uses for `Idempotency-Key` and `Request-ID`:
//! `[A-Za-z0-9._-]` with a length range. One validator serves both, so their messages agree.

use std::fmt;

/// A header value that breaks its documented rule; the message names the header and the rule.
///
/// ```
/// let err = parcelkit::IdempotencyKey::new("short").unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "invalid Idempotency-Key: 5 characters, but it must be 16 to 128 characters from A-Z a-z 0-9 . _ -"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidHeaderValue {
    header: &'static str,
    problem: String,
    rule: String,
}

impl InvalidHeaderValue {
    /// The header whose value was refused (`Idempotency-Key`, `Request-ID`).
    pub fn header(&self) -> &'static str {
        self.header
    }

    /// The rule the value must follow, e.g. `16 to 128 characters from A-Z a-z 0-9 . _ -`.
    pub fn rule(&self) -> &str {
        &self.rule
    }
}

impl fmt::Display for InvalidHeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {}: {}, but it must be {}",
            self.header, self.problem, self.rule
        )
    }
}

impl std::error::Error for InvalidHeaderValue {}

/// Whether `c` may appear in a token.
pub(crate) fn is_token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// The rule in words: `16 to 128 characters from A-Z a-z 0-9 . _ -`.
pub(crate) fn token_rule(min: usize, max: usize) -> String {
    format!("{min} to {max} characters from A-Z a-z 0-9 . _ -")
}

/// Checks `value` against `[A-Za-z0-9._-]{min,max}`. Lengths count characters, as the pattern
/// does; since every allowed character is ASCII, characters and bytes agree for valid values.
pub(crate) fn validate(
    header: &'static str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), InvalidHeaderValue> {
    let rule = token_rule(min, max);
    let refuse = |problem: String| InvalidHeaderValue {
        header,
        problem,
        rule: rule.clone(),
    };
    if let Some((position, c)) = value.chars().enumerate().find(|(_, c)| !is_token_char(*c)) {
        // Show the character escaped, so a space, a control character or an emoji is legible.
        return Err(refuse(format!(
            "character {:?} at position {position} is not allowed",
            c
        )));
    }
    let len = value.chars().count();
    if len < min || len > max {
        return Err(refuse(format!("{len} characters")));
    }
    Ok(())
}

/// A fresh random token, `pk-` and the 32 hex digits of a version-4 UUID, for generated
/// `Request-ID`s and `Idempotency-Key`s.
///
/// The bytes come from AWS-LC's CSPRNG, which rustls already links, so parcelkit builds no
/// `rand` stack; see [`random_bytes`] for how that stays cheap per request.
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 16];
    random_bytes(&mut bytes);
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    format!("pk-{}", uuid.simple())
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
    fn accepts_the_bounds() {
        assert!(validate("X", &"a".repeat(16), 16, 128).is_ok());
        assert!(validate("X", &"Z9._-".repeat(26)[..128], 16, 128).is_ok());
    }

    #[test]
    fn refuses_length_and_characters_with_the_rule() {
        let too_long = validate("X", &"a".repeat(129), 16, 128).unwrap_err();
        assert_eq!(
            too_long.to_string(),
            "invalid X: 129 characters, but it must be 16 to 128 characters from A-Z a-z 0-9 . _ -"
        );
        let bad_char = validate("X", "order/4521-abcdefgh", 16, 128).unwrap_err();
        assert_eq!(
            bad_char.to_string(),
            "invalid X: character '/' at position 5 is not allowed, but it must be 16 to 128 characters from A-Z a-z 0-9 . _ -"
        );
        assert!(
            validate("X", "ordre-æøå-1234567", 16, 128).is_err(),
            "non-ASCII letters"
        );
        assert!(validate("X", "", 1, 128).is_err(), "empty");
    }

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

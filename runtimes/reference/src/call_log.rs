//! A call's log as FunctionGraph shows it: the platform's Start line, the instance's output, the
//! Finish line with the call's figures, and the tails the caller receives.

use std::time::SystemTime;

use crate::dates::rfc3339_seconds;

/// The last `max` bytes of `s`, starting on a character boundary.
pub(crate) fn tail(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// The figures of a call's Finish line.
pub(crate) struct FinishFigures {
    pub duration_ms: f64,
    pub billing_ms: u64,
    pub memory_used_mb: f64,
    pub memory_size_mb: u32,
}

/// A call's log: the platform's Start line, what the instance wrote, the platform's Finish line,
/// in the format observed on FunctionGraph (research notes §4.3).
pub(crate) fn compose(
    request_id: &str,
    started: SystemTime,
    output: &[u8],
    finished: SystemTime,
    figures: &FinishFigures,
) -> String {
    let output = String::from_utf8_lossy(output);
    let newline = if output.is_empty() || output.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    format!(
        "{start} Start invoke request '{request_id}', version: latest\n\
         {output}{newline}\
         {finish} Finish invoke request '{request_id}', duration: {duration:.3}ms, billing duration: {billing}ms, memory used: {used:.3}MB, billing memory: {size}MB\n",
        start = rfc3339_seconds(started),
        finish = rfc3339_seconds(finished),
        duration = figures.duration_ms,
        billing = figures.billing_ms,
        used = figures.memory_used_mb,
        size = figures.memory_size_mb,
    )
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn tail_cuts_on_a_char_boundary() {
        assert_eq!(tail("hello", 10), "hello");
        assert_eq!(tail("hello", 3), "llo");
        // "é" is two bytes: a cut inside it starts after it.
        assert_eq!(tail("aéb", 2), "b");
        assert_eq!(tail("aéb", 3), "éb");
    }

    #[test]
    fn compose_frames_output_with_platform_lines() {
        let figures = FinishFigures {
            duration_ms: 65.828,
            billing_ms: 66,
            memory_used_mb: 21.473,
            memory_size_mb: 128,
        };
        let at = UNIX_EPOCH + Duration::from_secs(1_663_674_237);
        let log = compose("id-1", at, b"hello", at, &figures);
        assert_eq!(
            log,
            "2022-09-20T11:43:57Z Start invoke request 'id-1', version: latest\n\
             hello\n\
             2022-09-20T11:43:57Z Finish invoke request 'id-1', duration: 65.828ms, billing duration: 66ms, memory used: 21.473MB, billing memory: 128MB\n"
        );
        let empty = compose("id-1", at, b"", at, &figures);
        assert_eq!(empty.lines().count(), 2);
    }
}

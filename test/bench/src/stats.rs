//! Latency percentiles and throughput from raw nanosecond samples.

use std::time::Duration;

/// What one side of a benchmark did over all its measured calls.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Median latency, nanoseconds.
    pub p50_ns: u64,
    /// 99th percentile latency, nanoseconds.
    pub p99_ns: u64,
    /// Calls completed per second of measured time.
    pub calls_per_s: f64,
}

impl Summary {
    /// Summarises `samples` (sorted in place) taken over `elapsed` of wall time.
    pub fn of(samples: &mut [u64], elapsed: Duration) -> Summary {
        samples.sort_unstable();
        Summary {
            p50_ns: percentile(samples, 50.0),
            p99_ns: percentile(samples, 99.0),
            calls_per_s: samples.len() as f64 / elapsed.as_secs_f64(),
        }
    }
}

/// Nearest-rank percentile of sorted samples; 0 for no samples.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 50.0), 50);
        assert_eq!(percentile(&sorted, 99.0), 99);
        assert_eq!(percentile(&sorted, 100.0), 100);
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn summary_sorts_and_counts_calls_per_second() {
        let mut samples = vec![30, 10, 20, 40];
        let s = Summary::of(&mut samples, Duration::from_millis(2));
        assert_eq!(s.p50_ns, 20);
        assert_eq!(s.p99_ns, 40);
        assert_eq!(s.calls_per_s, 2000.0);
    }
}

//! Deterministic pseudo-randomness for the models (SplitMix64, Steele et al. 2014).
//!
//! Noise is a pure function of a seed and a position in time, not a stream, so a value
//! depends only on *when* it is asked for and never on how often: two runs with the
//! same seed read the same world whatever their polling pattern.

/// One SplitMix64 step: a well-mixed 64-bit hash of `x`.
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of a seed, a channel (which quantity) and a knot index.
fn hash(seed: u64, channel: u64, index: u64) -> u64 {
    mix(mix(seed ^ channel.wrapping_mul(0xD6E8_FEB8_6659_FD93)) ^ index)
}

/// A uniform value in [-1, 1] from the top 53 bits of a hash.
fn unit(h: u64) -> f64 {
    let fraction = (h >> 11) as f64 / (1u64 << 53) as f64;
    fraction * 2.0 - 1.0
}

/// Smooth value noise in [-1, 1]: random knots at whole values of `x`, joined by a
/// smoothstep so the curve has no jumps (a sensor never sees a step in the weather).
pub(crate) fn value_noise(seed: u64, channel: u64, x: f64) -> f64 {
    let x = if x > 0.0 { x } else { 0.0 };
    // Truncation is floor for non-negative x; it saturates for absurdly large x.
    let index = x as u64;
    let f = x - index as f64;
    let a = unit(hash(seed, channel, index));
    let b = unit(hash(seed, channel, index.wrapping_add(1)));
    let s = f * f * (3.0 - 2.0 * f);
    a + (b - a) * s
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn value_noise_is_bounded_and_continuous() {
        let mut previous = value_noise(7, 1, 0.0);
        for step in 1..10_000u32 {
            let v = value_noise(7, 1, f64::from(step) * 0.01);
            assert!((-1.0..=1.0).contains(&v));
            assert!((v - previous).abs() < 0.05, "jump at step {step}");
            previous = v;
        }
    }

    #[test]
    fn value_noise_depends_on_seed() {
        assert_ne!(value_noise(1, 0, 3.5), value_noise(2, 0, 3.5));
        assert_eq!(value_noise(1, 0, 3.5), value_noise(1, 0, 3.5));
    }
}

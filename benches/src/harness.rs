//! Timing: each sample runs enough iterations to last about a
//! millisecond, so timer resolution does not matter; a figure is the median
//! of the samples, with the 10th–90th percentile as its spread.

use std::hint::black_box;
use std::time::{Duration, Instant};

/// A measured figure, in nanoseconds per operation.
#[derive(Debug, Clone, Copy)]
pub struct Figure {
    pub median: f64,
    pub p10: f64,
    pub p90: f64,
}

impl Figure {
    /// A figure from per-operation timings.
    pub fn from_samples(mut samples: Vec<f64>) -> Figure {
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
        Figure {
            median: at(0.5),
            p10: at(0.1),
            p90: at(0.9),
        }
    }

    /// `median (p10–p90)` in a unit that suits the size.
    pub fn display(&self) -> String {
        format!(
            "{} ({}–{})",
            human_ns(self.median),
            human_ns(self.p10),
            human_ns(self.p90)
        )
    }
}

/// `123 ns`, `4.56 µs`, `7.89 ms`, `1.23 s`.
pub fn human_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// Times `op` once per sample (for operations that take milliseconds).
pub fn each<T>(samples: usize, mut op: impl FnMut() -> T) -> Figure {
    let timings = (0..samples)
        .map(|_| {
            let started = Instant::now();
            black_box(op());
            started.elapsed().as_nanos() as f64
        })
        .collect();
    Figure::from_samples(timings)
}

/// An operation to time, type-erased so that several can be interleaved.
pub type Op<'a> = Box<dyn FnMut() + 'a>;

/// Times several operations together: each round takes one sample of every
/// operation in turn, so that drift in the machine's speed (other tenants,
/// frequency changes) affects all of them alike and their ratios stay
/// meaningful. Each sample lasts about a millisecond.
pub fn per_op_interleaved(samples: usize, mut ops: Vec<Op<'_>>) -> Vec<Figure> {
    let batches: Vec<u64> = ops
        .iter_mut()
        .map(|op| {
            let mut batch = 1u64;
            loop {
                let started = Instant::now();
                for _ in 0..batch {
                    op();
                }
                if started.elapsed() >= Duration::from_millis(1) || batch >= 1 << 24 {
                    return batch;
                }
                batch *= 2;
            }
        })
        .collect();
    let mut timings = vec![Vec::with_capacity(samples); ops.len()];
    for _ in 0..samples {
        for ((op, &batch), timings) in ops.iter_mut().zip(&batches).zip(&mut timings) {
            let started = Instant::now();
            for _ in 0..batch {
                op();
            }
            timings.push(started.elapsed().as_nanos() as f64 / batch as f64);
        }
    }
    timings.into_iter().map(Figure::from_samples).collect()
}

/// Times several slow operations together, one run of each per round.
pub fn each_interleaved(samples: usize, mut ops: Vec<Op<'_>>) -> Vec<Figure> {
    let mut timings = vec![Vec::with_capacity(samples); ops.len()];
    for _ in 0..samples {
        for (op, timings) in ops.iter_mut().zip(&mut timings) {
            let started = Instant::now();
            op();
            timings.push(started.elapsed().as_nanos() as f64);
        }
    }
    timings.into_iter().map(Figure::from_samples).collect()
}

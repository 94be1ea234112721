//! A small text-analytics pipeline whose steps are expensive, cached with
//! `#[funcache::cache]`.
//!
//! Run it twice:
//!
//! ```text
//! cargo run -p funcache --example pipeline
//! cargo run -p funcache --example pipeline   # every step served from disk
//! ```
//!
//! Then edit a step (say, the stop-word list in `word_frequencies`) and run
//! it again: that step recomputes, the others are still served from the
//! cache. `FUNCACHE_REFRESH=1` recomputes everything; `FUNCACHE_DIR=...`
//! puts the cache elsewhere (default: `target/funcache`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// A tiny deterministic generator, so the corpus is the same on every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qu", "xi", "do", "fe",
];

/// Step 1: synthesize a corpus of documents (stands in for loading and
/// parsing files).
#[funcache::cache(memory = 4)]
fn load_corpus(documents: usize, seed: u64) -> Vec<String> {
    let mut rng = XorShift(seed | 1);
    (0..documents)
        .map(|_| {
            let words = 40 + rng.next() % 40;
            (0..words)
                .map(|_| {
                    let syllables = 1 + rng.next() % 3;
                    (0..syllables)
                        .map(|_| SYLLABLES[(rng.next() % SYLLABLES.len() as u64) as usize])
                        .collect::<String>()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Step 2: word frequencies, without stop words.
#[funcache::cache]
fn word_frequencies(documents: usize, seed: u64) -> BTreeMap<String, u64> {
    const STOP_WORDS: &[&str] = &["ka", "lo", "mi"];
    let mut counts = BTreeMap::new();
    for document in load_corpus(documents, seed) {
        for word in document.split_whitespace() {
            if !STOP_WORDS.contains(&word) {
                *counts.entry(word.to_owned()).or_insert(0) += 1;
            }
        }
    }
    counts
}

/// What step 3 reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Similarity {
    pairs: usize,
    mean_jaccard: f64,
    most_similar: (usize, usize),
}

/// Step 3: pairwise Jaccard similarity over a sample of documents
/// (quadratic, the slow one).
#[funcache::cache]
fn similarity(documents: usize, seed: u64, sample: usize) -> Similarity {
    let corpus = load_corpus(documents, seed);
    let sets: Vec<BTreeSet<&str>> = corpus
        .iter()
        .take(sample)
        .map(|d| d.split_whitespace().collect())
        .collect();
    let (mut total, mut pairs, mut best, mut best_pair) = (0.0, 0, -1.0, (0, 0));
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            let shared = sets[i].intersection(&sets[j]).count() as f64;
            let union = (sets[i].len() + sets[j].len()) as f64 - shared;
            let jaccard = shared / union;
            total += jaccard;
            pairs += 1;
            if jaccard > best {
                best = jaccard;
                best_pair = (i, j);
            }
        }
    }
    Similarity {
        pairs,
        mean_jaccard: total / pairs.max(1) as f64,
        most_similar: best_pair,
    }
}

/// Step 4: the report, from the two analyses.
#[funcache::cache]
fn report(documents: usize, seed: u64) -> String {
    let frequencies = word_frequencies(documents, seed);
    let mut top: Vec<(&String, &u64)> = frequencies.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let top: Vec<String> = top
        .iter()
        .take(5)
        .map(|(w, n)| format!("{w} ({n})"))
        .collect();
    let similar = similarity(documents, seed, 400);
    format!(
        "{} distinct words; top: {}\n{} pairs compared, mean Jaccard {:.4}, most similar documents {:?}",
        frequencies.len(),
        top.join(", "),
        similar.pairs,
        similar.mean_jaccard,
        similar.most_similar,
    )
}

fn timed<T>(label: &str, cache: &funcache::FnCache, step: impl FnOnce() -> T) -> (T, Duration) {
    let before = cache.info();
    let started = Instant::now();
    let value = step();
    let elapsed = started.elapsed();
    let after = cache.info();
    let how = if after.misses > before.misses {
        "computed"
    } else {
        "from cache"
    };
    println!(
        "  {label:<18} {:>10.1} ms   {how}",
        elapsed.as_secs_f64() * 1e3
    );
    (value, elapsed)
}

fn main() {
    const DOCUMENTS: usize = 20_000;
    const SEED: u64 = 42;
    println!(
        "funcache demo pipeline (cache directory: {})",
        report_cache().dir().display()
    );

    let started = Instant::now();
    let (corpus, _) = timed("load corpus", load_corpus_cache(), || {
        load_corpus(DOCUMENTS, SEED)
    });
    let (frequencies, _) = timed("word frequencies", word_frequencies_cache(), || {
        word_frequencies(DOCUMENTS, SEED)
    });
    let (similar, _) = timed("similarity", similarity_cache(), || {
        similarity(DOCUMENTS, SEED, 400)
    });
    let (report, _) = timed("report", report_cache(), || report(DOCUMENTS, SEED));
    let total = started.elapsed();

    println!("\n{report}\n");
    println!(
        "{} documents, {} distinct words, {} pairs; total {:.1} ms",
        corpus.len(),
        frequencies.len(),
        similar.pairs,
        total.as_secs_f64() * 1e3
    );
    let caches = [
        load_corpus_cache(),
        word_frequencies_cache(),
        similarity_cache(),
        report_cache(),
    ];
    for cache in caches {
        println!("  {:<40} {}", cache.id(), cache.info());
    }
    let computed: u64 = caches.iter().map(|c| c.info().misses).sum();
    // Records this run's hit and miss counts for `funcache-cli inspect`.
    if let Err(error) = funcache::flush() {
        eprintln!("warning: {error}");
    }
    if computed == 0 {
        println!("every step was served from the cache.");
    } else {
        println!("{computed} step(s) computed; run again and they are served from the cache.");
    }
}

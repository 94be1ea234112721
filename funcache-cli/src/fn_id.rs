//! Matching a function id typed by a user against the ids that exist.
//!
//! Ids are long (`my_app::steps::parse`), so an unambiguous ending that
//! starts at a `::` boundary (`steps::parse`, `parse`) is accepted too. A
//! miss suggests close ids, as cargo does for a mistyped command.

/// Why a typed id matched nothing usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Nothing matched; these are close.
    NotFound(Vec<String>),
    /// Several ids end with it.
    Ambiguous(Vec<String>),
}

/// The one id among `known` that `wanted` names.
pub fn find<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Result<String, Lookup> {
    let known: Vec<&str> = known.into_iter().collect();
    if known.contains(&wanted) {
        return Ok(wanted.to_owned());
    }
    let wanted = wanted.trim_start_matches("::");
    let tail = format!("::{wanted}");
    let endings: Vec<&str> = known
        .iter()
        .copied()
        .filter(|id| id.ends_with(&tail))
        .collect();
    match endings.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err(Lookup::NotFound(close(wanted, &known))),
        many => Err(Lookup::Ambiguous(
            many.iter().map(|id| (*id).to_owned()).collect(),
        )),
    }
}

/// Up to three ids close to `wanted`, closest first. An id is close when
/// its ending (as many segments as `wanted` has) is close to `wanted` *and*
/// its function name is close to the one typed: the shared `my_app::steps::`
/// prefix alone must not make every function of a module a suggestion.
fn close(wanted: &str, known: &[&str]) -> Vec<String> {
    let segments = wanted.split("::").count();
    let name = |id: &str| id.rsplit("::").next().unwrap_or(id).to_owned();
    let mut scored: Vec<(f64, &str)> = known
        .iter()
        .map(|id| {
            let parts: Vec<&str> = id.split("::").collect();
            let ending = parts[parts.len().saturating_sub(segments)..].join("::");
            let score = strsim::jaro_winkler(wanted, &ending)
                .min(strsim::jaro_winkler(&name(wanted), &name(id)));
            (score, *id)
        })
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, id)| id.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 4] = [
        "app::steps::parse",
        "app::steps::parse_all",
        "app::load::parse",
        "app::big_table",
    ];

    #[test]
    fn exact_ids_and_unique_endings_match() {
        assert_eq!(find("app::steps::parse", IDS).unwrap(), "app::steps::parse");
        assert_eq!(find("steps::parse", IDS).unwrap(), "app::steps::parse");
        assert_eq!(find("big_table", IDS).unwrap(), "app::big_table");
        assert_eq!(find("parse_all", IDS).unwrap(), "app::steps::parse_all");
    }

    #[test]
    fn endings_match_whole_segments_only() {
        // `table` is not a segment of `app::big_table`.
        assert!(matches!(find("table", IDS), Err(Lookup::NotFound(_))));
    }

    #[test]
    fn ambiguous_endings_list_the_candidates() {
        assert_eq!(
            find("parse", IDS),
            Err(Lookup::Ambiguous(vec![
                "app::steps::parse".into(),
                "app::load::parse".into()
            ]))
        );
    }

    #[test]
    fn typos_get_suggestions() {
        let Err(Lookup::NotFound(suggestions)) = find("app::steps::pasre", IDS) else {
            panic!("should not match");
        };
        assert_eq!(suggestions[0], "app::steps::parse");
        assert!(!suggestions.contains(&"app::big_table".to_owned()));
        let Err(Lookup::NotFound(suggestions)) = find("big_tabel", IDS) else {
            panic!("should not match");
        };
        assert_eq!(suggestions, ["app::big_table"]);
        let Err(Lookup::NotFound(none)) = find("zzz", IDS) else {
            panic!("should not match");
        };
        assert!(none.is_empty());
    }
}

//! TOML in one spelling: what a fingerprint takes from a manifest table
//! must not change with its layout.

use toml_edit::Item;

/// The strings of an array item (`features = ["a", "b"]`), in order;
/// other values are skipped, and an absent or non-array item has none.
pub(crate) fn strings(item: Option<&Item>) -> Vec<String> {
    item.and_then(Item::as_array)
        .map(|array| {
            array
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A TOML item in one spelling whatever its layout (dotted keys, inline
/// tables, comments and key order do not count).
pub(crate) fn canonical(root: &Item) -> String {
    fn value(v: &toml_edit::Value, out: &mut String) {
        match v {
            toml_edit::Value::Array(a) => {
                out.push('[');
                for v in a.iter() {
                    value(v, out);
                    out.push(',');
                }
                out.push(']');
            }
            toml_edit::Value::InlineTable(t) => table(
                t.iter().map(|(k, v)| (k, Item::Value(v.clone()))).collect(),
                out,
            ),
            toml_edit::Value::String(s) => out.push_str(&format!("{:?}", s.value())),
            toml_edit::Value::Integer(i) => out.push_str(&i.value().to_string()),
            toml_edit::Value::Float(f) => out.push_str(&f.value().to_string()),
            toml_edit::Value::Boolean(b) => out.push_str(&b.value().to_string()),
            toml_edit::Value::Datetime(d) => out.push_str(&d.value().to_string()),
        }
    }
    fn table(mut entries: Vec<(&str, Item)>, out: &mut String) {
        entries.sort_by(|a, b| a.0.cmp(b.0));
        out.push('{');
        for (k, v) in entries {
            out.push_str(&format!("{k:?}="));
            item(&v, out);
            out.push(',');
        }
        out.push('}');
    }
    fn item(i: &Item, out: &mut String) {
        match i {
            Item::Value(v) => value(v, out),
            Item::Table(t) => table(t.iter().map(|(k, v)| (k, v.clone())).collect(), out),
            Item::ArrayOfTables(a) => {
                out.push('[');
                for t in a.iter() {
                    table(t.iter().map(|(k, v)| (k, v.clone())).collect(), out);
                    out.push(',');
                }
                out.push(']');
            }
            Item::None => {}
        }
    }
    let mut out = String::new();
    item(root, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_comments_and_key_order_do_not_count() {
        let a: toml_edit::DocumentMut = "[p]\nb = 1 # one\na = [\"x\"]\n".parse().unwrap();
        let b: toml_edit::DocumentMut = "p = { a = [ \"x\" ], b = 1 }\n".parse().unwrap();
        let c: toml_edit::DocumentMut = "p = { a = [\"x\"], b = 2 }\n".parse().unwrap();
        assert_eq!(canonical(&a["p"]), canonical(&b["p"]));
        assert_ne!(canonical(&a["p"]), canonical(&c["p"]));
    }
}

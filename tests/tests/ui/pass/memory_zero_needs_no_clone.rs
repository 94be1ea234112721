#[derive(serde::Serialize, serde::Deserialize)]
struct Report {
    lines: usize,
}

#[funcache::cache(memory = 0)]
fn count(x: u32) -> Report {
    Report { lines: x as usize }
}

struct Connection;

#[funcache::cache(skip(conn), version = "2024-11", cache_errors)]
fn fetch(conn: &Connection, id: u32) -> Result<String, String> {
    let _ = conn;
    Ok(format!("{id}"))
}

fn main() {
    let _ = (count, count_uncached, count_refresh, count_cache);
    let _ = (fetch, fetch_uncached, fetch_refresh, fetch_cache);
}

// Under `strict`, an argument whose type has a serde attribute that can
// make two different values serialize alike is refused at the argument.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Len {
    Meters(u32),
    Feet(u32),
}

#[funcache::cache(strict)]
fn to_cm(len: Len) -> u32 {
    match len {
        Len::Meters(m) => m * 100,
        Len::Feet(f) => f * 30,
    }
}

fn main() {
    let _ = to_cm;
}

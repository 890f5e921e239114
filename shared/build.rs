//! Turns the checklist template (TOML, the form people edit) into JSON at build time, so the clinic app's
//! wasm reads it with serde_json, which it carries anyway, instead of shipping a TOML parser.

use std::path::PathBuf;

fn main() {
    let source = "data/national-2026.toml";
    println!("cargo::rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).expect("the template file is readable");
    let value: toml::Value = toml::from_str(&text).expect("the template file is valid TOML");
    let json = serde_json::to_string(&value).expect("TOML values serialise as JSON");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("national-2026.json"), json).expect("OUT_DIR is writable");
}

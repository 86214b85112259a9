//! The IPC's lists agree: the commands registered (`command_list.rs`), the permissions the
//! main window is granted, the UI's typed functions (`ui/src/lib/ipc/commands.ts`), and the
//! contract's documentation (`docs/ipc-contract.md`, whose types section is generated from
//! the bindings: `make bindings` rewrites it).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::COMMANDS;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("src-tauri is in the workspace")
        .to_path_buf()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn registered() -> BTreeSet<String> {
    let names: BTreeSet<String> = COMMANDS.iter().map(|c| (*c).to_owned()).collect();
    assert_eq!(names.len(), COMMANDS.len(), "a command is listed twice");
    names
}

/// The `"..."` strings that follow `marker` in `text`.
fn quoted_after(text: &str, marker: &str) -> BTreeSet<String> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let rest = &text[at + marker.len()..];
            let end = rest.find('"')?;
            Some(rest[..end].to_owned())
        })
        .collect()
}

#[test]
fn every_command_is_permitted_by_name_and_nothing_else_is() {
    let capability: serde_json::Value =
        serde_json::from_str(&read("src-tauri/capabilities/main.json")).unwrap();
    let granted: BTreeSet<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
        .map(|p| p.replace('-', "_"))
        .collect();
    assert_eq!(granted, registered());
}

#[test]
fn the_ui_calls_every_command_and_only_those() {
    let called = quoted_after(&read("ui/src/lib/ipc/commands.ts"), "call(\"");
    assert_eq!(called, registered());
}

#[test]
fn the_ipc_contract_documents_every_command() {
    let doc = read("docs/ipc-contract.md");
    let documented: BTreeSet<String> = doc
        .lines()
        .filter_map(|line| {
            let cell = line.strip_prefix("| `")?;
            Some(cell[..cell.find('`')?].to_owned())
        })
        .collect();
    assert_eq!(documented, registered());
}

const TYPES_BEGIN: &str =
    "<!-- types: generated from ui/src/lib/ipc/bindings by `make bindings` -->";
const TYPES_END: &str = "<!-- end of generated types -->";

/// Every binding's declaration, by name, without its imports: the contract's types.
fn types_section() -> String {
    let dir = root().join("ui/src/lib/ipc/bindings");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ts"))
        .collect();
    files.sort();
    let mut out = String::from("```ts\n");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let decl: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with("import ") && !l.starts_with("// This file was generated"))
            .filter(|l| !l.trim().is_empty())
            .collect();
        out.push_str(&decl.join("\n"));
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push_str("\n```");
    out
}

#[test]
fn the_ipc_contracts_types_are_the_bindings() {
    let path = root().join("docs/ipc-contract.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = doc.split_once(TYPES_BEGIN).expect("the types marker");
    let (_, tail) = rest.split_once(TYPES_END).expect("the types end marker");
    let current = format!(
        "{head}{TYPES_BEGIN}\n{}\n{TYPES_END}{tail}",
        types_section()
    );
    if std::env::var_os("UPDATE_IPC_CONTRACT").is_some() {
        std::fs::write(&path, current).unwrap();
        return;
    }
    assert!(
        doc == current,
        "docs/ipc-contract.md's types differ from the bindings: run `make bindings` and commit"
    );
}

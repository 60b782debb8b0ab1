//! The one loader for `tests/vectors/<scheme>/<name>/`, whatever the scheme: `request.http`
//! (read by [`read_request`], keeping header values raw), `context.json` (read field by field),
//! and the stage files, which each suite names for itself. Every failure names the vector, and
//! the stage where there is one ([`Vector::stage`]).
//!
//! A suite adds what its scheme reads from a vector (a mode, a carrier, a stage file by name)
//! in its own `impl Vector` block.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::request::Wire;

/// `tests/vectors/<scheme>`.
pub(crate) fn dir(scheme: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(scheme)
}

/// The vector directories under `tests/vectors/<scheme>`, sorted, less those in `skip` (which
/// belong to other suites).
pub(crate) fn names(scheme: &str, skip: &[&str]) -> Vec<String> {
    let dir = dir(scheme);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !skip.contains(&name.as_str()))
        .collect();
    names.sort();
    names
}

/// A vector suite's tests: `$test => "$dir",` makes a `#[test] fn $test` that calls `$run("$dir")`,
/// and `every_vector_directory_has_a_test` checks that the directories under
/// `tests/vectors/$scheme` (less `$skip`) are exactly those, so that a new one cannot be skipped
/// silently.
// Only the vector suites use it: the others would warn (`dead_code` does not cover macros).
#[allow(unused_macros)]
macro_rules! vector_tests {
    (
        scheme: $scheme:expr,
        skip: $skip:expr,
        run: $run:path,
        $($test:ident => $dir:literal,)*
    ) => {
        $(
            #[test]
            fn $test() {
                $run($dir);
            }
        )*

        #[test]
        fn every_vector_directory_has_a_test() {
            let mut listed: Vec<&str> = vec![$($dir),*];
            listed.sort_unstable();
            assert_eq!($crate::common::vectors::names($scheme, $skip), listed);
        }
    };
}

#[allow(unused_imports)]
pub(crate) use vector_tests;

/// One vector directory, loaded.
pub(crate) struct Vector {
    pub(crate) name: String,
    /// `request.http`.
    pub(crate) request: Wire,
    /// `context.json`.
    pub(crate) context: Value,
    /// The stage files, by name.
    files: BTreeMap<String, Vec<u8>>,
}

impl Vector {
    /// `tests/vectors/<scheme>/<name>/`: its request, its context and the stage `files` (read
    /// back with [`Vector::bytes`] and [`Vector::text`]).
    pub(crate) fn load(scheme: &str, name: &str, files: &[&str]) -> Self {
        let dir = dir(scheme).join(name);
        let context: Value = serde_json::from_slice(&read(&dir, "context.json"))
            .unwrap_or_else(|e| panic!("vector {name}: context.json: {e}"));
        Vector {
            name: name.to_owned(),
            request: read_request(name, &read(&dir, "request.http")),
            context,
            files: files
                .iter()
                .map(|file| ((*file).to_owned(), read(&dir, file)))
                .collect(),
        }
    }

    /// `vector <name>: stage <stage>`: how a stage's failure messages begin.
    pub(crate) fn stage(&self, stage: &str) -> String {
        format!("vector {}: stage {stage}", self.name)
    }

    /// The bytes of the stage file `file`.
    pub(crate) fn bytes(&self, file: &str) -> &[u8] {
        self.files
            .get(file)
            .unwrap_or_else(|| panic!("vector {}: {file} was not loaded", self.name))
    }

    /// The text of the stage file `file`.
    pub(crate) fn text(&self, file: &str) -> &str {
        std::str::from_utf8(self.bytes(file))
            .unwrap_or_else(|e| panic!("vector {}: {file} is not UTF-8: {e}", self.name))
    }

    /// The string `field` of `context.json`.
    pub(crate) fn str(&self, field: &str) -> &str {
        self.context[field]
            .as_str()
            .unwrap_or_else(|| panic!("vector {}: context.json lacks {field:?}", self.name))
    }

    /// The string `field` of `context.json`, or `None` where it is `null`.
    pub(crate) fn optional_str(&self, field: &str) -> Option<&str> {
        match &self.context[field] {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => panic!("vector {}: {field} is {other}", self.name),
        }
    }

    /// The string `field` of `context.json`, read by `parse`.
    pub(crate) fn parse<T>(&self, field: &str, parse: impl FnOnce(&str) -> Option<T>) -> T {
        self.parse_value(field, self.str(field), parse)
    }

    /// `value` (of `field`), read by `parse`.
    pub(crate) fn parse_value<T>(
        &self,
        field: &str,
        value: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> T {
        parse(value).unwrap_or_else(|| panic!("vector {}: bad {field} {value:?}", self.name))
    }

    /// The number `field` of `context.json`.
    pub(crate) fn u64(&self, field: &str) -> u64 {
        self.context[field]
            .as_u64()
            .unwrap_or_else(|| panic!("vector {}: context.json lacks {field}", self.name))
    }

    /// The boolean `field` of `context.json`.
    pub(crate) fn bool(&self, field: &str) -> bool {
        self.context[field]
            .as_bool()
            .unwrap_or_else(|| panic!("vector {}: context.json lacks {field}", self.name))
    }

    /// The list of strings `field` of `context.json`, or `None` where it is `null`.
    pub(crate) fn strings(&self, field: &str) -> Option<Vec<&str>> {
        match &self.context[field] {
            Value::Null => None,
            Value::Array(items) => Some(
                items
                    .iter()
                    .map(|n| {
                        n.as_str().unwrap_or_else(|| {
                            panic!("vector {}: {field} holds strings", self.name)
                        })
                    })
                    .collect(),
            ),
            other => panic!("vector {}: {field} is {other}", self.name),
        }
    }

    /// The list of `[name, value]` pairs `field` of `context.json`.
    pub(crate) fn pairs(&self, field: &str) -> Vec<(String, String)> {
        self.context[field]
            .as_array()
            .unwrap_or_else(|| panic!("vector {}: context.json lacks {field}", self.name))
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().expect("a name").to_owned(),
                    pair[1].as_str().expect("a value").to_owned(),
                )
            })
            .collect()
    }
}

fn read(dir: &Path, file: &str) -> Vec<u8> {
    std::fs::read(dir.join(file))
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.join(file).display()))
}

/// Reads `request.http` of vector `name`: the request line, the headers with their raw values
/// (surrounding whitespace kept, so that the crate's trimming is what is tested: `httparse`
/// would trim them), and exactly `Content-Length` bytes of body. `httparse` still checks that
/// the file is well-formed HTTP.
pub(crate) fn read_request(name: &str, raw: &[u8]) -> Wire {
    let mut scratch = [httparse::EMPTY_HEADER; 32];
    let offset = match httparse::Request::new(&mut scratch).parse(raw) {
        Ok(httparse::Status::Complete(offset)) => offset,
        other => panic!("vector {name}: request.http does not parse: {other:?}"),
    };
    let head = std::str::from_utf8(&raw[..offset - 4])
        .unwrap_or_else(|e| panic!("vector {name}: request.http head is not UTF-8: {e}"));
    let mut lines = head.split("\r\n");
    let request_line: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let [method, target, "HTTP/1.1"] = request_line[..] else {
        panic!("vector {name}: bad request line {request_line:?}");
    };
    let headers: Vec<(String, Vec<u8>)> = lines
        .map(|line| {
            let (n, v) = line
                .split_once(':')
                .unwrap_or_else(|| panic!("vector {name}: bad header line {line:?}"));
            // The one space after the colon is the file's layout, not part of the value.
            let v = v.strip_prefix(' ').unwrap_or(v);
            (n.to_owned(), v.as_bytes().to_vec())
        })
        .collect();
    let content_length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map_or(0, |(_, v)| {
            std::str::from_utf8(v)
                .ok()
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or_else(|| panic!("vector {name}: bad Content-Length"))
        });
    let body = &raw[offset..];
    assert_eq!(
        body.len(),
        content_length,
        "vector {name}: request.http body is not exactly Content-Length bytes"
    );
    Wire {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: body.to_vec(),
    }
}

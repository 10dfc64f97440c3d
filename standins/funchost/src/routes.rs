//! Route templates as Azure Functions HTTP triggers use them: literal segments compared
//! case-insensitively, `{name}` parameters, optional `{name?}` in the last position, and a
//! catch-all `{*name}` that takes the rest of the path (possibly nothing).

use std::collections::BTreeMap;

/// Matches `path_segments` against `template`; returns the route parameters on a match.
pub fn match_route(template: &str, path_segments: &[&str]) -> Option<BTreeMap<String, String>> {
    let parts: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let mut params = BTreeMap::new();
    let mut i = 0;
    for (n, part) in parts.iter().enumerate() {
        if let Some(inner) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if let Some(name) = inner.strip_prefix('*') {
                params.insert(
                    name.to_owned(),
                    path_segments[i.min(path_segments.len())..].join("/"),
                );
                return Some(params);
            }
            let (name, optional) = match inner.strip_suffix('?') {
                Some(n) => (n, true),
                None => (inner, false),
            };
            // Constraints such as {id:int} are not used by offboard; treat the name only.
            let name = name.split(':').next().unwrap_or(name);
            match path_segments.get(i) {
                Some(seg) => {
                    params.insert(name.to_owned(), (*seg).to_owned());
                    i += 1;
                }
                None if optional && n == parts.len() - 1 => return Some(params),
                None => return None,
            }
        } else {
            match path_segments.get(i) {
                Some(seg) if seg.eq_ignore_ascii_case(part) => i += 1,
                _ => return None,
            }
        }
    }
    (i == path_segments.len()).then_some(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        assert!(match_route("offboardings", &["offboardings"]).is_some());
        assert!(match_route("offboardings", &["OffBoardings"]).is_some());
        assert!(match_route("offboardings", &["offboardings", "x"]).is_none());
        let p = match_route("hris/{provider}", &["hris", "bamboohr"]).unwrap();
        assert_eq!(p["provider"], "bamboohr");
        assert!(match_route("hris/{provider}", &["hris"]).is_none());
        assert!(match_route("cases/{caseId?}", &["cases"]).is_some());
        assert_eq!(
            match_route("cases/{caseId?}", &["cases", "c-1"]).unwrap()["caseId"],
            "c-1"
        );
        assert_eq!(
            match_route("scim/v2/{*path}", &["scim", "v2", "Users", "abc"]).unwrap()["path"],
            "Users/abc"
        );
        assert!(match_route("scim/v2/{*path}", &["scim", "v2"]).is_some());
    }
}

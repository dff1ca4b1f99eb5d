//! Where a browser may be sent after login: `returnTo` must be a path on the application's
//! own origin or an absolute URL on an origin the application allows. Everything else (other
//! hosts, scheme-relative `//host`, backslash tricks, `javascript:` and other schemes, control
//! characters) is refused.
//!
//! Pure functions over `url`; imports nothing else.

use url::Url;

/// The safe form of `return_to` for an application at `base`, or `None` when it would send the
/// browser elsewhere. A path comes back as a path (with its query and fragment); an absolute
/// URL on `base`'s origin or one of `allowed_origins` (ASCII serialized, no trailing slash)
/// comes back as given, normalised.
pub(crate) fn safe_return_to(
    return_to: &str,
    base: &Url,
    allowed_origins: &[String],
) -> Option<String> {
    if return_to.is_empty()
        || return_to.len() > 2048
        || return_to
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return None;
    }
    if return_to.starts_with('/') {
        if return_to.starts_with("//") {
            return None;
        }
        let joined = base.join(return_to).ok()?;
        if joined.origin() != base.origin() {
            return None;
        }
        let mut out = joined.path().to_owned();
        if let Some(q) = joined.query() {
            out.push('?');
            out.push_str(q);
        }
        if let Some(f) = joined.fragment() {
            out.push('#');
            out.push_str(f);
        }
        // Normalisation must not turn a path into a scheme-relative URL.
        if out.starts_with("//") {
            return None;
        }
        return Some(out);
    }
    let url = Url::parse(return_to).ok()?;
    if !matches!(url.scheme(), "https" | "http") || url.username() != "" || url.password().is_some()
    {
        return None;
    }
    let origin = url.origin().ascii_serialization();
    let ok = url.origin() == base.origin() || allowed_origins.contains(&origin);
    ok.then(|| url.to_string())
}

/// An origin (`scheme://host[:port]`) from a URL, for the allow-list.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let url = Url::parse(url).ok()?;
    if !matches!(url.scheme(), "https" | "http") {
        return None;
    }
    Some(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str) -> Option<String> {
        let base = Url::parse("https://app.example.com/").unwrap();
        safe_return_to(input, &base, &["https://docs.example.com".to_owned()])
    }

    #[test]
    fn paths_and_allowed_origins_pass() {
        assert_eq!(check("/").as_deref(), Some("/"));
        assert_eq!(
            check("/inbox?tab=2#top").as_deref(),
            Some("/inbox?tab=2#top")
        );
        assert_eq!(check("/a/../b").as_deref(), Some("/b"));
        assert_eq!(
            check("https://app.example.com/x").as_deref(),
            Some("https://app.example.com/x")
        );
        assert_eq!(
            check("https://docs.example.com/guide").as_deref(),
            Some("https://docs.example.com/guide")
        );
    }

    #[test]
    fn open_redirects_are_refused() {
        for bad in [
            "//evil.com",
            "//evil.com/path",
            "///evil.com",
            "https://evil.com",
            "https://evil.com/",
            "http://app.example.com/",
            "https://app.example.com.evil.com/",
            "https://app.example.com@evil.com/",
            "https://user:pw@app.example.com/",
            "/\\evil.com",
            "\\\\evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            " /x",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,hi",
            "evil.com",
            "inbox",
            "",
            "https://docs.example.com:8443/",
        ] {
            assert_eq!(check(bad), None, "{bad:?} must be refused");
        }
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            origin_of("https://Docs.Example.com/path").as_deref(),
            Some("https://docs.example.com")
        );
        assert_eq!(origin_of("javascript:x"), None);
    }
}

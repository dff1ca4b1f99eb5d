//! The few HTML pages the browser endpoints answer with: small, well-formed, and escaping
//! everything they echo.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML content and double- or single-quoted attribute values.
///
/// Hand-written on purpose: five replacements, fully tested; an escaping or templating crate
/// would add a dependency for less than this function does.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A complete page with `title` (escaped here) and `body` (already HTML).
pub(crate) fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let title = escape(title);
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} | auth0-emulator</title>\n</head>\n<body>\n<main>\n{body}</main>\n\
         </body>\n</html>\n"
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A `400` error page naming the OAuth `error` and its description.
pub(crate) fn error_page(error: &str, description: &str) -> Response {
    let body = format!(
        "<h1>Something went wrong</h1>\n\
         <p class=\"error\" role=\"alert\"><code>{}</code>: {}</p>\n",
        escape(error),
        escape(description)
    );
    page(StatusCode::BAD_REQUEST, "Error", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}

"""Schemathesis hooks for .ci/steps/schemathesis.sh.

A header value with control characters (0x00-0x1F except tab, or 0x7F) is
not HTTP: the server's HTTP/1 parser refuses the request head with a bare
400 before the application sees it (README: "Hostile input"). Such cases
test the parser, not the API, so they are not generated.
"""
import schemathesis


def _valid(value):
    return all(ch == "\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7F) for ch in str(value))


@schemathesis.hook
def filter_headers(context, headers):
    return not headers or all(_valid(k) and _valid(v) for k, v in headers.items())

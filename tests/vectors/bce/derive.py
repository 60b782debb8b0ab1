#!/usr/bin/env python3
"""Writes the BCE (`bce-auth-v1`) test vectors under this directory, independently of the crate.

Every expected value here comes from Python's standard library (hmac, hashlib, urllib.parse)
following the spec (/work/shared/spec/bce.md, sections 2-4) and the crate's documented decision
that every `x-bce-*` header but `x-bce-signature` is signed whatever the list (Baidu's Python,
Go and JavaScript SDKs do the same), never from apigw-sign. The three published vectors are
checked against the values the spec documents before anything is written; a mismatch aborts.

Run from anywhere: `python3 tests/vectors/bce/derive.py`. It rewrites request.http,
context.json, canonical-request.txt, signing-key.txt, signature.txt and auth-string.txt of every
vector (and a `.gitattributes` keeping git from converting their line endings). It never
touches `interop/`.
"""

import hashlib
import hmac
import json
import os
from urllib.parse import quote, unquote

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SET = ("host", "content-length", "content-type", "content-md5")
CARRIER_HEADER = "x-bce-signature"
OWS = " \t"
GITATTRIBUTES = (b"# Vector files are compared byte for byte (CRLF in request.http, no trailing newline\n"
                 b"# elsewhere): never convert line endings.\n* -text\n")

PUBLISHED_AK = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
PUBLISHED_SK = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
PUBLISHED_SIGNING_KEY = "1d5ce5f464064cbee060330d973218821825ac6952368a482a592e6615aef479"
PUBLISHED_HEADERS = [
    ("Host", "bj.bcebos.com"),
    ("Date", "Mon, 27 Apr 2015 16:23:49 +0800"),
    ("Content-Type", "text/plain"),
    ("Content-Length", "8"),
    ("Content-Md5", "NFzcPqhviddjRNnSOGo4rw=="),
    ("x-bce-date", "2015-04-27T08:23:49Z"),
]
# BCE signs no body; these 8 bytes only make Content-Length true (the published Content-Md5 is
# a header value like any other here).
PUBLISHED_BODY = "testdata"


def uri_encode(text, keep_slash=False):
    """Baidu's UriEncode: UTF-8 bytes, A-Z a-z 0-9 - . _ ~ kept, the rest %XY upper case."""
    return quote(text, safe="-._~" + ("/" if keep_slash else ""), encoding="utf-8",
                 errors="strict")


def strict_unquote(text):
    # `+` stays a plus: unquote (not unquote_plus). errors="strict" rejects bad UTF-8.
    return unquote(text, encoding="utf-8", errors="strict")


def canonical_uri(path):
    decoded = strict_unquote(path)
    return uri_encode(decoded, keep_slash=True) if decoded else "/"


def canonical_query(query):
    if not query:
        return ""
    items = []
    for item in query.split("&"):
        if not item:
            # An empty item (`a&&b`) carries no parameter, as in Go's url.ParseQuery (the
            # crate's src/params.rs documents the same).
            continue
        key, _, value = item.partition("=")
        key, value = strict_unquote(key), strict_unquote(value)
        if key.lower() == "authorization":
            continue
        items.append(uri_encode(key) + "=" + uri_encode(value))
    return "&".join(sorted(items))


def is_signed(name, listed):
    name = name.lower()
    if name.startswith("x-bce-") and name != CARRIER_HEADER:
        return True
    return name in (DEFAULT_SET if listed is None else listed)


def signed_headers(headers, listed):
    """(lower-case name, trimmed value) of every signed header with a non-empty value."""
    out = []
    for name, value in headers:
        value = value.strip(OWS)
        if is_signed(name, listed) and value:
            out.append((name.lower(), value))
    return out


def canonical_request(v, headers, listed):
    path, _, query = v["target"].partition("?")
    lines = sorted(uri_encode(n) + ":" + uri_encode(x) for n, x in signed_headers(headers, listed))
    return "\n".join([v["method"].upper(), canonical_uri(path), canonical_query(query),
                      "\n".join(lines)])


def hmac_hex(key, message):
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def request_http(v):
    lines = ["%s %s HTTP/1.1" % (v["method"], v["target"])]
    lines += ["%s: %s" % (n, value) for n, value in v["headers"]]
    body = v["body"].encode()
    if body and not any(n.lower() == "content-length" for n, _ in v["headers"]):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def request_headers(v):
    """The headers as request.http sends them (Content-Length added for a body)."""
    headers = list(v["headers"])
    body = v["body"].encode()
    if body and not any(n.lower() == "content-length" for n, _ in headers):
        headers.append(("Content-Length", str(len(body))))
    return headers


def published(name, source, target, listed, expected_signature):
    return {
        "name": name, "derived": False, "source": source,
        "published_signature": expected_signature,
        "ak": PUBLISHED_AK, "sk": PUBLISHED_SK, "timestamp": "2015-04-27T08:23:49Z",
        "expiration": 1800, "signed_headers": listed, "carrier": "authorization", "stage": None,
        "method": "PUT", "target": target, "headers": PUBLISHED_HEADERS, "body": PUBLISHED_BODY,
    }


VECTORS = [
    published("published-default-set",
              "spec section 7 (Baidu's 'Generate Authentication String' example, reproduced "
              "with the official Python SDK): the default header set",
              "/v1/test/myfolder/readme.txt?partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851",
              None, "d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e"),
    published("published-host-and-date",
              "spec section 7: the same request signing only host;x-bce-date",
              "/v1/test/myfolder/readme.txt?partNumber=9&uploadId=a44cc9bab11cbd156984767aad637851",
              ["host", "x-bce-date"],
              "1b8de5a23a56eef657c69f94c621e7acd227d049a4ba577f537d5e5cebf0cf32"),
    published("published-without-query",
              "spec section 7: the same request without its query, the default header set",
              "/v1/test/myfolder/readme.txt", None,
              "0558aac491bbef484d3aaa30ac1e65d4ff10daccd351f15c91e922ee4ce72690"),
    {
        "name": "unicode-space-path-and-query",
        "derived": True,
        "source": "derived: unicode and space in the path and the query, the spec's query "
                  "example (bare key, text1/text10 ordering); no x-bce-date in the request, so "
                  "the signer adds it",
        "ak": "4f2d8a1c9e7b4c3a8d6f0e1b2c3d4e5f", "sk": "derived-secret-unicode-0123456789ab",
        "timestamp": "2024-02-29T23:59:59Z", "expiration": 3600, "signed_headers": None,
        "carrier": "authorization", "stage": None,
        "method": "GET",
        "target": "/v1/%E6%B5%8B%E8%AF%95%20dir/a%20b.txt"
                  "?text&text1=%E6%B5%8B%E8%AF%95&text10=test&q=%E4%B8%AD%E6%96%87%20%E7%A9%BA",
        "headers": [("Host", "bj.bcebos.com"), ("Accept", "*/*")],
        "body": "",
    },
    {
        "name": "query-bare-key-plus-tilde-presigned",
        "derived": True,
        "source": "derived: a presigned URL (the query carrier, so no x-bce-date is added); "
                  "bare and empty keys, + literal, %2B, ~ and %7e and %7E equivalent, a reserved "
                  "character and a space in a key, upper- and lower-case keys sorted byte-wise",
        "ak": "presignak0001", "sk": "presign-secret/with+odd=chars",
        "timestamp": "2023-07-04T12:00:00Z", "expiration": 129600, "signed_headers": None,
        "carrier": "query", "stage": None,
        "method": "get",
        "target": "/bucket/object~name%7e.txt?plus=a+b&enc=a%2Bb&tilde=~&lower=%7e&upper=%7E"
                  "&bare&empty=&B=upper&a%20key=x%2Fy%26z&%3D=eq",
        "headers": [("Host", "bucket.bj.bcebos.com"), ("Content-Type", "text/plain; charset=utf-8")],
        "body": "",
    },
    {
        "name": "x-bce-headers-spaces-explicit-list",
        "derived": True,
        "source": "derived: X-Bce-Signature carrier; explicit list host;content-type, every "
                  "x-bce-* header signed too: one with surrounding spaces, one blank (left out), "
                  "the spec's a/b:c value, x-bce-a and x-bce-a-b sorted as whole lines",
        "ak": "AKexplicitlist", "sk": "explicit-list-secret",
        "timestamp": "2025-12-31T00:00:01Z", "expiration": 1800,
        "signed_headers": ["host", "content-type"],
        "carrier": "x-bce-signature", "stage": None,
        "method": "POST", "target": "/v1/items",
        "headers": [("Host", "gateway.example.com"),
                    ("Content-Type", "application/json"),
                    ("x-bce-date", "2025-12-31T00:00:01Z"),
                    ("X-Bce-Meta-Note", "   hello  world \t"),
                    ("x-bce-blank", "   "),
                    ("x-bce-a", "a/b:c"),
                    ("X-BCE-A-B", "2"),
                    ("X-Unsigned", "not signed")],
        "body": '{"name":"\u5f20\u4e09"}',
    },
    {
        "name": "x-bce-stage-test-app",
        "derived": True,
        "source": "derived: API Gateway APP authentication (X-Bce-Signature) with the signer "
                  "setting X-Bce-Stage: test; the signer adds x-bce-date and X-Bce-Stage",
        "ak": "359117df989c4a3db52289bbb8d286fb", "sk": "stage-secret-9f8e7d6c",
        "timestamp": "2018-12-06T03:05:00Z", "expiration": 1800, "signed_headers": None,
        "carrier": "x-bce-signature", "stage": "test",
        "method": "DELETE", "target": "/app/items/42?force=true",
        "headers": [("Host", "default1.gateway-mock.com")],
        "body": "",
    },
    {
        "name": "x-bce-stage-pre-online-in-request",
        "derived": True,
        "source": "derived: X-Bce-Stage: pre-online already in the request (signed as an "
                  "x-bce-* header under an explicit host-only list), Content-Md5 sent but "
                  "unlisted",
        "ak": "AKpreonline", "sk": "pre-online-secret",
        "timestamp": "2022-01-01T00:00:00Z", "expiration": 60, "signed_headers": ["host"],
        "carrier": "authorization", "stage": None,
        "method": "PUT", "target": "/app/v2/%E6%96%87%E4%BB%B6",
        "headers": [("Host", "default1.gateway-mock.com"),
                    ("X-Bce-Stage", "pre-online"),
                    ("x-bce-date", "2022-01-01T00:00:00Z"),
                    ("Content-Md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
        "body": "",
    },
]


def main():
    for v in VECTORS:
        headers = request_headers(v)
        # What the signer adds: x-bce-date for a header carrier when the request has none, and
        # X-Bce-Stage when asked.
        added = []
        if v["carrier"] != "query" and not any(n.lower() == "x-bce-date" for n, _ in headers):
            added.append(("x-bce-date", v["timestamp"]))
        if v["stage"] is not None:
            added.append(("X-Bce-Stage", v["stage"]))
        signed = headers + added
        listed = v["signed_headers"]
        canonical = canonical_request(v, signed, listed)
        prefix = "bce-auth-v1/%s/%s/%d" % (v["ak"], v["timestamp"], v["expiration"])
        signing_key = hmac_hex(v["sk"], prefix)
        signature = hmac_hex(signing_key, canonical)
        if "published_signature" in v:
            if signing_key != PUBLISHED_SIGNING_KEY:
                raise SystemExit("%s: signing key %s, published %s" % (
                    v["name"], signing_key, PUBLISHED_SIGNING_KEY))
            if signature != v["published_signature"]:
                raise SystemExit("%s: computed %s, published %s" % (
                    v["name"], signature, v["published_signature"]))
        names = ";".join(sorted({n for n, _ in signed_headers(signed, listed)}))
        auth_string = "%s/%s/%s" % (prefix, names, signature)
        # Whether the `//` form (the default set) would sign the same canonical request.
        default_form = canonical_request(v, signed, None) == canonical
        context = {
            "derived": v["derived"],
            "source": v["source"],
            "ak": v["ak"],
            "sk": v["sk"],
            "timestamp": v["timestamp"],
            "expiration": v["expiration"],
            "signed_headers": listed,
            "carrier": v["carrier"],
            "stage": v["stage"],
            "added_headers": [[n, x] for n, x in added],
            "default_form_verifies": default_form,
        }
        out = os.path.join(HERE, v["name"])
        os.makedirs(out, exist_ok=True)
        files = {
            "request.http": request_http(v),
            "context.json": (json.dumps(context, indent=2, ensure_ascii=False) + "\n").encode(),
            "canonical-request.txt": canonical.encode(),
            "signing-key.txt": signing_key.encode(),
            "signature.txt": signature.encode(),
            "auth-string.txt": auth_string.encode(),
            ".gitattributes": GITATTRIBUTES,
        }
        for name, data in files.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
        print("%-38s %s" % (v["name"], signature))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes the Tencent test vectors under this directory, independently of the crate.

Every expected value here comes from Python's standard library (hmac, hashlib, base64,
urllib.parse) following the spec (/work/shared/spec/tencent.md, sections 1-3), never from
apigw-sign. The three published vectors are checked against the values Tencent documents
before anything is written; a mismatch aborts.

Run from anywhere: `python3 tests/vectors/tencent/derive.py`. It rewrites request.http,
context.json, string-to-sign.txt, signature.txt and authorization.txt of every vector.
"""

import base64
import hashlib
import hmac
import json
import os
from urllib.parse import unquote, unquote_plus

HERE = os.path.dirname(os.path.abspath(__file__))
HASHES = {
    "hmac-sha1": hashlib.sha1,
    "hmac-sha256": hashlib.sha256,
    "hmac-sha384": hashlib.sha384,
    "hmac-sha512": hashlib.sha512,
    # SM3 (GB/T 32905) through Python's OpenSSL binding; `openssl dgst -sm3 -hmac KEY` agrees.
    "hmac-sm3": "sm3",
}
ENVIRONMENTS = ("release", "prepub", "test")
FORM = "application/x-www-form-urlencoded"
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def http_date(rfc3339):
    """IMF-fixdate of an RFC 3339 UTC time like 2021-03-11T08:29:58Z."""
    import datetime

    t = datetime.datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ")
    return "%s, %02d %s %04d %02d:%02d:%02d GMT" % (
        DAYS[t.weekday()], t.day, MONTHS[t.month - 1], t.year, t.hour, t.minute, t.second)


def content_md5(body):
    """Base64 of the lower-case hex MD5 of the body (spec section 3)."""
    return base64.b64encode(hashlib.md5(body).hexdigest().encode()).decode()


def is_form(content_type):
    return content_type.split(";")[0].strip(" \t").lower() == FORM


def params(raw, form):
    out = []
    for item in raw.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        dec = (lambda s: unquote_plus(s, errors="strict")) if form else (
            lambda s: unquote(s, errors="strict"))
        out.append((dec(key), dec(value)))
    return out


def string_to_sign(v, date):
    headers = {name.lower(): value.strip(" \t") for name, value in v["headers"]}
    headers[v["date_header"].lower()] = date
    names = signed_names(v)
    lines = ["%s: %s" % (n, headers[n]) for n in names]
    if v["mode"] == "key-pair":
        return "\n".join(lines)
    path, _, query = v["target"].partition("?")
    if v.get("path_form", "decoded") == "decoded":
        path = unquote(path, errors="strict")
    segments = path.split("/", 2)
    if len(segments) > 1 and segments[1] in ENVIRONMENTS:
        path = "/" + segments[2] if len(segments) > 2 else ""
    path = path or "/"
    content_type = headers.get("content-type", "")
    body = v["body"].encode()
    pairs = params(query, form=False)
    md5 = ""
    if is_form(content_type):
        pairs += params(v["body"], form=True)
    elif body:
        md5 = content_md5(body)
    pairs.sort(key=lambda kv: (kv[0].encode(), kv[1].encode()))
    rendered = "&".join(k if v == "" else "%s=%s" % (k, v) for k, v in pairs)
    lines += [v["method"].upper(), headers.get("accept", ""), content_type, md5,
              path + ("?" + rendered if pairs else "")]
    return "\n".join(lines)


def signed_names(v):
    extra = v["sign_headers"]
    if extra is None:  # the signer's default: the date header, plus source when present
        extra = ["source"] if any(n.lower() == "source" for n, _ in v["headers"]) else []
    return sorted({n.lower() for n in extra} | {v["date_header"].lower()})


def request_http(v):
    lines = ["%s %s HTTP/1.1" % (v["method"], v["target"])]
    lines += ["%s: %s" % (n, value) for n, value in v["headers"]]
    body = v["body"].encode()
    if body:
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


VECTORS = [
    {
        "name": "app-post-form-published",
        "derived": False,
        "source": "Tencent API Gateway docs, application authentication, the documented POST "
                  "example (spec section 3)",
        "published_signature": "jLN0+Qva7WIzoEvvT1A5/+naheA=",
        "mode": "app", "key_id": "AKIDexampleapp", "secret": "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv",
        "algorithm": "hmac-sha1", "signing_time": "2021-03-11T08:29:58Z", "date_header": "X-Date",
        "sign_headers": None,
        "method": "POST", "target": "/",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "application/json"), ("Content-Type", FORM),
                    ("Source", "apigw test")],
        "body": "p=test",
    },
    {
        "name": "app-get-x-date-only-published",
        "derived": False,
        "source": "spec section 3, 'Other checks of the construction': GET / with only x-date",
        "published_signature": "CdxTmHbhMLM8WAcM82NvhmQIN7c=",
        "mode": "app", "key_id": "AKIDexampleapp", "secret": "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv",
        "algorithm": "hmac-sha1", "signing_time": "2021-03-11T08:29:58Z", "date_header": "X-Date",
        "sign_headers": None,
        "method": "GET", "target": "/",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "application/json")],
        "body": "",
    },
    {
        "name": "key-pair-date-source-published",
        "derived": False,
        "source": "spec section 3, 'Other checks of the construction': key-pair, date and source",
        "published_signature": "aSqvktrLNYBwKDeMS43788rJ4rU=",
        "mode": "key-pair", "key_id": "AKIDexamplekeypair",
        "secret": "k66d99m4gs9f05x6vqgp2yrkrvpdemhhpnhj68FX",
        "algorithm": "hmac-sha1", "signing_time": "2020-02-15T13:07:19Z", "date_header": "Date",
        "sign_headers": None,
        "method": "GET", "target": "/release/anything?not=signed",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Source", "ccc")],
        "body": "",
    },
    {
        "name": "app-json-body",
        "derived": True,
        "source": "derived: app mode, JSON body; Content-MD5 is the spec's documented value "
                  "MzNiMjk0MTJjZWIzMWQ5NmE1OGRiZDYyOWMwNWQ0ZGE=",
        "mode": "app", "key_id": "AKIDexampleapp", "secret": "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv",
        "algorithm": "hmac-sha1", "signing_time": "2021-03-11T08:29:58Z", "date_header": "X-Date",
        "sign_headers": ["source"],
        "method": "POST", "target": "/v1/echo",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "application/json"), ("Content-Type", "application/json"),
                    ("Source", "apigw test")],
        "body": '{"arg1":"a","arg2":"b"}',
        "published_content_md5": "MzNiMjk0MTJjZWIzMWQ5NmE1OGRiZDYyOWMwNWQ0ZGE=",
    },
    {
        "name": "app-unicode-query-env-prefix",
        "derived": True,
        "source": "derived: app mode, /release prefix stripped, unicode path, unicode and space "
                  "values, literal and encoded plus, empty values, repeated keys",
        "mode": "app", "key_id": "AKIDexampleapp", "secret": "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv",
        "algorithm": "hmac-sha1", "signing_time": "2021-03-11T08:29:58Z", "date_header": "X-Date",
        "sign_headers": ["source", "x-custom"],
        "method": "GET",
        "target": "/release/v1/%E6%90%9C%E7%B4%A2?q=%E4%B8%AD%E6%96%87%20%E7%A9%BA%E6%A0%BC"
                  "&lang=zh&plus=a+b&enc=a%2Bb&empty=&flag&b=2&b=1&%E5%90%8D%20x=%E5%80%BC",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "application/json"), ("Source", "apigw test"),
                    ("X-Custom", "Hello, World")],
        "body": "",
    },
    {
        "name": "hmac-sha256-app-form-and-query",
        "derived": True,
        "source": "derived: hmac-sha256, app mode, /test prefix stripped, query and form "
                  "parameters merged (form + is a space, %2B a plus), charset on the form type",
        "mode": "app", "key_id": "AKIDsha256", "secret": "sha256-secret-0123456789abcdef",
        "algorithm": "hmac-sha256", "signing_time": "2024-02-29T23:59:59Z", "date_header": "X-Date",
        "sign_headers": ["source"],
        "method": "POST", "target": "/test/v1/form?z=last&a=first",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "*/*"),
                    ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                    ("Source", "form client")],
        "body": "name=%E5%BC%A0+%E4%B8%89&a=0&note=1%2B1",
    },
    {
        "name": "hmac-sha384-key-pair",
        "derived": True,
        "source": "derived: hmac-sha384, key-pair mode with x-date, source and a custom header",
        "mode": "key-pair", "key_id": "AKIDsha384", "secret": "sha384-secret-fedcba9876543210",
        "algorithm": "hmac-sha384", "signing_time": "2023-07-04T12:00:00Z", "date_header": "X-Date",
        "sign_headers": ["source", "x-request-id"],
        "method": "DELETE", "target": "/prepub/v1/items/9",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Source", "batch job"),
                    ("X-Request-Id", "0f8fad5b-d9cb-469f-a165-70867728950e")],
        "body": "",
    },
    {
        "name": "hmac-sha512-app-put-json",
        "derived": True,
        "source": "derived: hmac-sha512, app mode, PUT with a unicode JSON body, /release stripped",
        "mode": "app", "key_id": "AKIDsha512", "secret": "sha512-secret-!@#$%^&*()_+",
        "algorithm": "hmac-sha512", "signing_time": "2025-12-31T00:00:01Z", "date_header": "X-Date",
        "sign_headers": ["source", "x-trace"],
        "method": "PUT", "target": "/release/v2/items/42?force=true",
        "headers": [("Host", "service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "application/json"),
                    ("Content-Type", "application/json; charset=utf-8"),
                    ("Source", "apigw test"), ("X-Trace", "trace 7")],
        "body": '{"name":"\u5f20\u4e09","tags":["a b","c+d"]}',
    },
    {
        "name": "hmac-sm3-app-post-json",
        "derived": True,
        "source": "derived: hmac-sm3 (Tencent's Go sample), app mode, POST with a JSON body",
        "mode": "app", "key_id": "AKIDsm3", "secret": "sm3-secret-0123456789",
        "algorithm": "hmac-sm3", "signing_time": "2026-11-30T12:00:00Z", "date_header": "X-Date",
        "sign_headers": None,
        "method": "POST", "target": "/release/v1/orders?lang=zh-CN&q=%E4%B8%AD",
        "headers": [("Host", "service-sm3-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "application/json"), ("Content-Type", "application/json"),
                    ("Source", "sm3 demo")],
        "body": '{"order":7,"note":"\u4e2d\u6587"}',
    },
    {
        "name": "hmac-sm3-key-pair",
        "derived": True,
        "source": "derived: hmac-sm3, key-pair mode with date and source",
        "mode": "key-pair", "key_id": "AKIDsm3kp", "secret": "k66d99m4gs9f05x6vqgp2yrkrvpdemhhpnhj68FX",
        "algorithm": "hmac-sm3", "signing_time": "2020-02-15T13:07:19Z", "date_header": "Date",
        "sign_headers": ["source"],
        "method": "GET", "target": "/",
        "headers": [("Host", "example.com"), ("Source", "ccc")],
        "body": "",
    },
    {
        "name": "app-path-as-sent",
        "derived": True,
        "source": "derived: app mode, the path signed exactly as sent (Tencent's Python, JS, "
                  "Java and PHP demos), a unicode segment and a space; parameters still decoded",
        "mode": "app", "key_id": "AKIDassent", "secret": "Dc44ACV2Da3Gm9JVaaaaaaaaumYRI4CZfVG8Qiuv",
        "algorithm": "hmac-sha1", "signing_time": "2026-11-30T08:00:00Z", "date_header": "X-Date",
        "sign_headers": None, "path_form": "as-sent",
        "method": "GET", "target": "/files/%E4%B8%AD%E6%96%87/a%20b?name=a%20b&q=%E4%B8%AD",
        "headers": [("Host", "service-demo-1250000000.gz.apigw.tencentcs.com"),
                    ("Accept", "application/json"), ("Source", "python demo")],
        "body": "",
    },
]


def main():
    for v in VECTORS:
        date = http_date(v["signing_time"])
        sts = string_to_sign(v, date)
        mac = hmac.new(v["secret"].encode(), sts.encode(), HASHES[v["algorithm"]]).digest()
        signature = base64.b64encode(mac).decode()
        if "published_signature" in v and signature != v["published_signature"]:
            raise SystemExit("%s: computed %s, published %s" % (
                v["name"], signature, v["published_signature"]))
        authorization = 'hmac id="%s", algorithm="%s", headers="%s", signature="%s"' % (
            v["key_id"], v["algorithm"], " ".join(signed_names(v)), signature)
        context = {
            "derived": v["derived"],
            "source": v["source"],
            "mode": v["mode"],
            "key_id": v["key_id"],
            "secret": v["secret"],
            "algorithm": v["algorithm"],
            "signing_time": v["signing_time"],
            "date_header": v["date_header"],
            "date": date,
            "sign_headers": v["sign_headers"],
            "environment_prefix": "strip",
            "path_form": v.get("path_form", "decoded"),
        }
        if v["mode"] == "app":
            body = v["body"].encode()
            ct = dict((n.lower(), x) for n, x in v["headers"]).get("content-type", "")
            context["content_md5"] = content_md5(body) if body and not is_form(ct) else None
            published = v.get("published_content_md5")
            if published and context["content_md5"] != published:
                raise SystemExit("%s: Content-MD5 %s, published %s" % (
                    v["name"], context["content_md5"], published))
        out = os.path.join(HERE, v["name"])
        os.makedirs(out, exist_ok=True)
        files = {
            "request.http": request_http(v),
            "context.json": (json.dumps(context, indent=2, ensure_ascii=False) + "\n").encode(),
            "string-to-sign.txt": sts.encode(),
            "signature.txt": signature.encode(),
            "authorization.txt": authorization.encode(),
        }
        for name, data in files.items():
            with open(os.path.join(out, name), "wb") as f:
                f.write(data)
        print("%-34s %s" % (v["name"], signature))


if __name__ == "__main__":
    main()

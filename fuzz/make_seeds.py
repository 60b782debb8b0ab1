#!/usr/bin/env python3
"""Writes fuzz/seeds/<target>/ from the test vectors (tests/vectors/), standard library only.

Run it from anywhere after a vector changes: python3 fuzz/make_seeds.py. It rewrites every
seed directory. The request seeds use the layout of fuzz/src/lib.rs: a line with `now` (Unix
seconds), then the raw request. Each verifies at that `now` with the keys of fuzz/gateway.toml.
"""

import json
import pathlib
import shutil
from datetime import datetime

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "tests" / "vectors"
SEEDS = ROOT / "fuzz" / "seeds"
CRLF = b"\r\n"


def unix(rfc3339):
    return int(datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp())


def split_request(raw):
    """request.http as (request line, [(name, value bytes)], body)."""
    head, body = raw.split(CRLF + CRLF, 1)
    lines = head.split(CRLF)
    headers = [tuple(line.split(b": ", 1)) for line in lines[1:]]
    return lines[0], headers, body


def join_request(now, request_line, headers, body):
    out = [str(now).encode(), request_line]
    out += [name + b": " + value for name, value in headers]
    return CRLF.join(out) + CRLF + CRLF + body


def vector_dirs(scheme):
    return sorted(d for d in (VECTORS / scheme).iterdir() if (d / "context.json").is_file())


def tencent():
    """(name, context, authorization, request line, headers, body) per Tencent vector, signed."""
    for d in vector_dirs("tencent"):
        ctx = json.loads((d / "context.json").read_text())
        auth = (d / "authorization.txt").read_bytes()
        line, headers, body = split_request((d / "request.http").read_bytes())
        headers.append((ctx["date_header"].encode(), ctx["date"].encode()))
        if ctx.get("content_md5"):
            headers.append((b"Content-MD5", ctx["content_md5"].encode()))
        headers.append((b"Authorization", auth))
        yield d.name, ctx, auth, line, headers, body


def bce():
    """(name, context, auth string, request line, headers, body) per BCE vector, without carrier."""
    for d in vector_dirs("bce"):
        ctx = json.loads((d / "context.json").read_text())
        auth = (d / "auth-string.txt").read_bytes()
        line, headers, body = split_request((d / "request.http").read_bytes())
        headers += [(n.encode(), v.encode()) for n, v in ctx["added_headers"]]
        yield d.name, ctx, auth, line, headers, body


def with_carrier(carrier, auth, line, headers):
    if carrier == "query":
        method, target, version = line.split(b" ")
        sep = b"&" if b"?" in target else b"?"
        target += sep + b"authorization=" + auth.replace(b"/", b"%2F")
        return b" ".join([method, target, version]), headers
    name = {"authorization": b"Authorization", "x-bce-signature": b"X-Bce-Signature"}[carrier]
    return line, headers + [(name, auth)]


def interop(count):
    """The first `count` cases of the BCE interop suite, in the Authorization header."""
    with open(VECTORS / "bce" / "interop" / "sdk_cases.jsonl") as cases:
        for _, case in zip(range(count), cases):
            c = json.loads(case)
            headers = [(n.encode(), v.encode()) for n, v in c["headers"]]
            headers.append((b"Authorization", c["auth"].encode()))
            line = f"{c['method']} {c['target']} HTTP/1.1".encode()
            yield f"interop-{c['index']}", c["timestamp"], line, headers


def main():
    seeds = {}

    def add(target, name, data):
        seeds.setdefault(target, {})[name] = data

    tencent_vectors = list(tencent())
    bce_vectors = list(bce())

    for name, ctx, auth, line, headers, body in tencent_vectors:
        now = unix(ctx["signing_time"])
        add("tencent_authorization", name, auth)
        add("dates", name, ctx["date"].encode())
        add("tencent_verify", name, join_request(now, line, headers, body))
        target = line.split(b" ")[1]
        if b"?" in target:
            add("decoding", name + "-query", target.split(b"?", 1)[1])
        add("decoding", name + "-path", target.split(b"?", 1)[0])
        if body:
            add("decoding", name + "-body", body)
        # The gateway: a path without an environment segment goes through the custom domain
        # (its "" mapping), since the default domain needs one. Host is not signed.
        if not target.split(b"/")[1] in (b"release", b"prepub", b"test"):
            headers = [(n, b"api.example.com" if n == b"Host" else v) for n, v in headers]
        add("gateway_route", name, join_request(now, line, headers, body))
    add("tencent_authorization", "liberties",
        b'  HMAC\tsignature="abc=",headers="source x-date",\t  ALGORITHM="hmac-sha1", '
        b'extra="x",id="AKID" ')

    for name, ctx, auth, line, headers, body in bce_vectors:
        now = unix(ctx["timestamp"])
        add("bce_auth_string", name, auth)
        add("dates", name, ctx["timestamp"].encode())
        carried_line, carried = with_carrier(ctx["carrier"], auth, line, headers)
        add("bce_verify", name, join_request(now, carried_line, carried, body))
        target = line.split(b" ")[1]
        if b"?" in target:
            add("decoding", name + "-query", target.split(b"?", 1)[1])
        add("decoding", name + "-path", target.split(b"?", 1)[0])
        # The gateway's BCE APIs take the auth string in X-Bce-Signature (never signed).
        _, carried = with_carrier("x-bce-signature", auth, line, headers)
        add("gateway_route", name, join_request(now, line, carried, body))
    for name, now, line, headers in interop(4):
        add("bce_verify", name, join_request(now, line, headers, b""))
        add("bce_auth_string", name, headers[-1][1])
    appcode = join_request(1615451398, b"GET /code HTTP/1.1",
                           [(b"Host", b"default1.gateway-mock.com"),
                            (b"X-Bce-Signature", b"AppCode/appcode-1")], b"")
    add("bce_verify", "appcode", appcode)
    add("gateway_route", "appcode", appcode)
    add("gateway_route", "open", join_request(
        1615451398, b"GET /release/open HTTP/1.1",
        [(b"Host", b"service-abcdefgh-1250000000.gz.apigw.tencentcs.com"),
         (b"Origin", b"https://service-abcdefgh-1250000000.gz.apigw.tencentcs.com")], b""))

    # The obsolete HTTP-date forms and a leap day, from src/time.rs's tests.
    add("dates", "rfc850", b"Sunday, 06-Nov-94 08:49:37 GMT")
    add("dates", "asctime", b"Sun Nov  6 08:49:37 1994")
    add("dates", "leap-day", b"2016-02-29T00:00:00Z")

    for target, files in seeds.items():
        out = SEEDS / target
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        for name, data in files.items():
            (out / name).write_bytes(data)
        print(f"{target}: {len(files)} seeds")


if __name__ == "__main__":
    main()

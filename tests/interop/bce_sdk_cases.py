#!/usr/bin/env python3
"""Generates bce-auth-v1 interoperability cases signed by Baidu's official Python SDK.

Usage: bce_sdk_cases.py [OUTPUT]   (JSON Lines; stdout when OUTPUT is omitted)

Needs `bce-python-sdk` (PyPI) importable; `.ci/run` installs the pinned version into `.venv-bce`.
The output is deterministic (fixed seed, no clock, no hash-order dependence), so CI regenerates it
and compares it byte for byte with `tests/vectors/bce/interop/sdk_cases.jsonl`, which
`tests/bce_interop.rs` reads.

Every case is a random request, in the form the SDK's own clients produce it:
- the path is passed to `sign` encoded with `utils.normalize_string(raw_path, False)` (as
  `utils.append_uri` does) and sent that way;
- the query parameters are a dict passed to `sign`; on the wire they are the items of
  `utils.get_canonical_querystring(params, False)`, except that a bare key (value None or '') is
  sometimes sent as `key` without `=`, and some cases send the items in shuffled order;
- headers are a dict of bytes names (the SDK compares names with `b"x-bce-"`) to str values;
  `x-bce-*` values carry surrounding spaces (and sometimes tabs), which the SDK strips;
- `headers_to_sign` is None (the default set) or an explicit sorted list of lower-case names that
  contains `host` and only headers present in the request. The SDK signs every `x-bce-*` header
  whatever the list but writes only the list into the auth string; many explicit lists here leave
  out a present `x-bce-*` header on purpose.
Every other case has an `x-bce-date` header, so the crate's signer (which adds one when it is
absent) can be compared with the SDK on those.
"""

import json
import random
import sys

from baidubce import utils
from baidubce.auth import bce_v1_signer
from baidubce.auth.bce_credentials import BceCredentials

SEED = 20261123
CASES = 80

# Characters for path segments and query keys/values: ASCII letters and digits, unreserved and
# reserved punctuation, space, a literal '%', and non-ASCII text (2-, 3- and 4-byte UTF-8).
TEXT_CHARS = (
    list("abcXYZ019")
    + list("-._~")
    + list(" ~*+/=&%?#!'():;@,$[]")
    + ["中", "文", "测", "试", "é", "ü", "ß", "€", "😀", "🚀"]
)
# Header values: printable ASCII (with interior spaces) and some non-ASCII text.
HEADER_CHARS = (
    list("abcXYZ019")
    + list(" -._~*+/=&%?#:;,\"'()")
    + ["中", "文", "é", "😀"]
)
METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "OPTIONS"]
HOSTS = ["bj.bcebos.com", "gz.bcebos.com:8080", "10.0.0.1:8888", "localhost", "API.Example.COM"]
CONTENT_TYPES = ["text/plain", "application/json; charset=utf-8", "application/x-www-form-urlencoded"]
EXTRA_BCE = [
    "x-bce-meta-foo",
    "X-Bce-Meta-Author",
    "x-bce-meta-a",
    "x-bce-meta-a-b",
    "x-bce-content-sha256",
    "x-bce-request-id",
    "X-BCE-ACL",
    "x-bce-storage-class",
]
# Headers outside the default set: signed only when an explicit list names them.
OTHER = [("User-Agent", "bce-sdk-python/0.9 (interop)"), ("Date", "Mon, 27 Apr 2015 16:23:49 +0800"),
         ("X-Custom", "a b/c")]


def text(rng, low, high, chars=TEXT_CHARS):
    return "".join(rng.choice(chars) for _ in range(rng.randrange(low, high + 1)))


def hex_string(rng, length):
    return "".join(rng.choice("0123456789abcdef") for _ in range(length))


def padded(rng, value):
    """The value with surrounding whitespace, as a sender might leave it."""
    pads = [" ", "  ", " \t", "\t ", "   "]
    return rng.choice(pads) + value + rng.choice(pads)


def casing(rng, name):
    return rng.choice([name, name.lower(), name.upper() if name.lower() == "host" else name])


def make_case(rng, index):
    ak = hex_string(rng, 32)
    sk = hex_string(rng, 32)
    method = rng.choice(METHODS)
    timestamp = rng.randrange(1420070400, 2051222400)  # 2015-01-01 .. 2035-01-01
    expiration = rng.choice([1800, 1800, 1800, 1, 60, 3600, 86400, 129600, rng.randrange(1, 129601)])
    with_date = index % 2 == 0
    explicit = (index // 2) % 2 == 0

    # Path: raw segments, encoded as the SDK's clients encode them.
    if rng.random() < 0.1:
        raw_path = "/"
    else:
        raw_path = "/" + "/".join(text(rng, 0, 6) for _ in range(rng.randrange(1, 4)))
    path = utils.normalize_string(raw_path, False)

    # Query: a dict (unique keys), some bare keys and empty values.
    params = {}
    for _ in range(rng.randrange(0, 6)):
        key = text(rng, 1, 6)
        if key.lower() == "authorization":
            continue
        roll = rng.random()
        if roll < 0.15:
            value = None
        elif roll < 0.3:
            value = ""
        else:
            value = text(rng, 1, 8)
        params[key] = value
    items = []
    for key, value in params.items():
        item = utils.normalize_string(key)
        if value in (None, "") and rng.random() < 0.5:
            items.append(item)  # a bare key, `key` with no `=`
        else:
            items.append(item + b"=" + utils.normalize_string(value or ""))
    items.sort()
    if all(b"=" in i for i in items):
        assert b"&".join(items) == utils.get_canonical_querystring(params, False)
    if rng.random() < 0.3:
        rng.shuffle(items)
    target = path + (b"?" + b"&".join(items) if items else b"")

    # Headers, in the order they are sent.
    headers = [(casing(rng, "Host"), rng.choice(HOSTS))]
    if rng.random() < 0.5:
        headers.append((casing(rng, "Content-Type"), rng.choice(CONTENT_TYPES)))
    if rng.random() < 0.5:
        headers.append((casing(rng, "Content-Length"), str(rng.randrange(0, 100000))))
    if rng.random() < 0.4:
        headers.append((casing(rng, "Content-MD5"), "NFzcPqhviddjRNnSOGo4rw=="))
    if with_date:
        date = utils.get_canonical_time(timestamp - rng.randrange(0, 120)).decode()
        headers.append((rng.choice(["x-bce-date", "X-Bce-Date"]), padded(rng, date)))
    for name in rng.sample(EXTRA_BCE, rng.randrange(0, 4)):
        value = "" if rng.random() < 0.1 else text(rng, 1, 10, HEADER_CHARS)
        headers.append((name, padded(rng, value)))
    for name, value in OTHER:
        if rng.random() < 0.3:
            headers.append((name, value))
    rng.shuffle(headers)

    headers_to_sign = None
    if explicit:
        names = sorted({name.lower() for name, _ in headers if name.lower() != "host"})
        listed = ["host"] + [n for n in names if rng.random() < 0.5]
        headers_to_sign = sorted(listed)

    auth = bce_v1_signer.sign(
        BceCredentials(ak, sk),
        method.encode(),
        path,
        {name.encode(): value for name, value in headers},
        params,
        timestamp=timestamp,
        expiration_in_seconds=expiration,
        headers_to_sign=None if headers_to_sign is None else [n.encode() for n in headers_to_sign],
    )
    return {
        "index": index,
        "ak": ak,
        "sk": sk,
        "method": method,
        "target": target.decode("ascii"),
        "headers": [[name, value] for name, value in headers],
        "timestamp": timestamp,
        "expiration": expiration,
        "headers_to_sign": headers_to_sign,
        "auth": auth.decode("ascii"),
    }


def main():
    rng = random.Random(SEED)
    cases = [make_case(rng, i) for i in range(CASES)]
    lines = [json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if len(sys.argv) > 1:
        with open(sys.argv[1], "wb") as out:
            out.write(data)
    else:
        sys.stdout.buffer.write(data)


if __name__ == "__main__":
    main()

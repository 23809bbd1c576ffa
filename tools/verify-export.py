#!/usr/bin/env python3
"""Checks a receivables export without the receivables program: every envelope's hash is the
SHA-256 of the RFC 8785 canonical JSON of the envelope without "hash", and every "prev" is the
hash before it (64 zeros for seq 1). Needs the `rfc8785` package from PyPI.

usage: verify-export.py EXPORT.jsonl     (prints "ok N HEAD" or "bad SEQ: reason"; exit 0 or 1)
"""
import hashlib
import json
import sys

import rfc8785


def main(path):
    previous = "0" * 64
    expected_seq = 1
    with open(path, encoding="utf-8") as export:
        for line in export:
            if not line.strip():
                continue
            envelope = json.loads(line)
            seq = envelope.get("seq")
            if seq != expected_seq:
                print(f"bad {expected_seq}: found seq {seq}")
                return 1
            stated = envelope.pop("hash")
            if envelope.get("prev") != previous:
                print(f"bad {seq}: prev does not match the hash before it")
                return 1
            computed = hashlib.sha256(rfc8785.dumps(envelope)).hexdigest()
            if computed != stated:
                print(f"bad {seq}: hash {stated} but the content hashes to {computed}")
                return 1
            previous = stated
            expected_seq += 1
    print(f"ok {expected_seq - 1} {previous}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

#!/usr/bin/env python3
"""A small SMTP server for the tests (aiosmtpd; no TLS). Loopback only.

    python3 tools/smtp-test-server.py --port 0 --out DIR [--refuse ADDRESS ...]
        [--port-file FILE] [--auth USER:PASSWORD]

Binds 127.0.0.1 (port 0: a free port, written to --port-file once listening). Each accepted
message is stored as DIR/N.eml (the bytes received, dot-unstuffed) and DIR/N.json (envelope
sender, recipients, authenticated login); N.json is written last, so its presence means N.eml
is complete. RCPT TO one of the --refuse addresses gets "550 5.1.1 No such user". With --auth,
AUTH PLAIN/LOGIN is offered without TLS and required before MAIL. Exits on SIGTERM or SIGINT.
"""
import argparse
import asyncio
import json
import os
import signal
import sys

try:
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
except ImportError:
    sys.stderr.write("smtp-test-server: the Python package aiosmtpd is missing; run tools/bootstrap\n")
    sys.exit(3)


def write_atomically(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


class Handler:
    def __init__(self, out, refuse):
        self.out = out
        self.refuse = {address.lower() for address in refuse}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.out, str(self.count))
        write_atomically(base + ".eml", envelope.original_content)
        login = session.auth_data
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        meta = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "login": login,
        }
        write_atomically(base + ".json", json.dumps(meta).encode("utf-8"))
        return "250 OK queued as %d" % self.count


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        if auth_data.login == user.encode() and auth_data.password == password.encode():
            return AuthResult(success=True, auth_data=auth_data.login)
        return AuthResult(success=False, handled=False)

    return authenticate


async def serve(args):
    os.makedirs(args.out, exist_ok=True)
    handler = Handler(args.out, args.refuse)
    options = {"hostname": "smtp-test-server.localhost"}
    if args.auth:
        user, _, password = args.auth.partition(":")
        options.update(
            authenticator=make_authenticator(user, password),
            auth_required=True,
            auth_require_tls=False,
        )
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **options), host="127.0.0.1", port=args.port)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        write_atomically(args.port_file, ("%d\n" % port).encode())
    else:
        print(port, flush=True)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--out", required=True)
    parser.add_argument("--refuse", nargs="+", action="extend", default=[], metavar="ADDRESS")
    parser.add_argument("--port-file")
    parser.add_argument("--auth", metavar="USER:PASSWORD")
    args = parser.parse_args()
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()

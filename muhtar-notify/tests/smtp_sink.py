#!/usr/bin/env python3
"""A real SMTP server for muhtar-notify's tests (aiosmtpd).

Usage: smtp_sink.py --port PORT --dir DIR [--host 127.0.0.1] [--tls-cert PEM --tls-key PEM]

With --tls-cert and --tls-key it speaks implicit TLS (smtps) with that certificate.

Every accepted message is written to DIR as NNNN.eml (the raw data) and NNNN.json (a
summary parsed with the `email` package: envelope sender and recipients, decoded
subject, Message-ID, content type, the parts with their decoded text). Files appear
atomically (written under a temporary name, then renamed).

Recipients whose local part starts with `reject-` are refused in RCPT with
`550 5.1.1`; `tempfail-` ones with `451 4.3.0`.

Prints `READY <port>` on stdout once it accepts connections; stops on SIGTERM/SIGINT
or, when stdin is a pipe (a test that started it), when that pipe closes. Started from a
shell (`... &`, stdin a terminal or /dev/null) it runs until it is stopped.
"""

import argparse
import json
import os
import signal
import stat
import sys
import threading

try:
    from aiosmtpd.controller import Controller
except ImportError:  # pragma: no cover - reported to the Rust test
    sys.stderr.write(
        "smtp_sink.py: the Python package aiosmtpd is not installed "
        "(install it with: pip install aiosmtpd)\n"
    )
    sys.exit(3)

import email
import email.policy


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject-"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("tempfail-"):
            return "451 4.3.0 <%s>: Temporary failure, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = []
        text = None
        html = None
        for part in msg.walk():
            if part.is_multipart():
                parts.append({"content_type": part.get_content_type()})
                continue
            content = part.get_content()
            parts.append(
                {
                    "content_type": part.get_content_type(),
                    "charset": part.get_content_charset(),
                    "transfer_encoding": part.get("Content-Transfer-Encoding"),
                    "content": content,
                }
            )
            if part.get_content_type() == "text/plain" and text is None:
                text = content
            elif part.get_content_type() == "text/html" and html is None:
                html = content
        summary = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "from": str(msg.get("From", "")),
            "to": str(msg.get("To", "")),
            "subject": str(msg.get("Subject", "")),
            "message_id": str(msg.get("Message-ID", "")).strip(),
            "date": str(msg.get("Date", "")),
            "auto_submitted": str(msg.get("Auto-Submitted", "")),
            "content_type": msg.get_content_type(),
            "is_multipart": msg.is_multipart(),
            "parts": parts,
            "text": text,
            "html": html,
            "defects": [str(d) for d in msg.defects],
        }
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.directory, "%04d" % n)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(raw)
        os.replace(base + ".eml.tmp", base + ".eml")
        with open(base + ".json.tmp", "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1)
        os.replace(base + ".json.tmp", base + ".json")
        return "250 Message accepted for delivery"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    # Implicit TLS (smtps) with this certificate chain and key (PEM files).
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    ssl_context = None
    if args.tls_cert:
        import ssl

        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(args.tls_cert, args.tls_key)
    controller = Controller(
        Sink(args.dir), hostname=args.host, port=args.port, ssl_context=ssl_context
    )
    controller.start()
    print("READY %d" % args.port, flush=True)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    def watch_stdin():
        try:
            sys.stdin.read()
        except Exception:
            pass
        stop.set()

    # Only a pipe: a background job reading its terminal would be stopped (SIGTTIN), and
    # /dev/null ends at once.
    if stat.S_ISFIFO(os.fstat(0).st_mode):
        threading.Thread(target=watch_stdin, daemon=True).start()
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()

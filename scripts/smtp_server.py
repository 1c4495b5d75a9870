#!/usr/bin/env python3
"""Recording SMTP sink for tests (aiosmtpd).  Each accepted message becomes
   <dir>/<seq>-<uuid>.eml   raw message bytes as received (DATA payload)
   <dir>/<seq>-<uuid>.json  {"mail_from","rcpt_tos","peer","received_at","eml",
                             "headers": {name: [decoded values]}, "subject", "body"}
   (subject and body decoded from their MIME/RFC 2047 encodings, so tests can
   assert on the text a reader sees; the raw .eml is kept as received)
The .json is written first and the .eml is renamed into place last, so
"count *.eml" never sees a half-written message.
Usage: smtp_server.py --port N --dir DIR [--host 127.0.0.1] [--delay SECS]
Prints "READY <port>" on stdout once listening. SIGTERM/SIGINT stop it."""
import argparse, asyncio, json, os, signal, sys, time, uuid, itertools
import email, email.policy
from datetime import datetime, timezone
from aiosmtpd.smtp import SMTP

_seq = itertools.count(1)

def decode(raw):
    """Headers (decoded, by lowercase name) and the text body of a message."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = {}
    for name, value in msg.items():
        headers.setdefault(name.lower(), []).append(str(value))
    part = msg.get_body(preferencelist=("plain",)) if msg.is_multipart() else msg
    try:
        body = part.get_content() if part is not None else ""
    except Exception as e:  # a malformed body is recorded, not fatal
        body = f"<undecodable body: {e}>"
    return headers, str(msg.get("subject", "")), body

class Recorder:
    def __init__(self, outdir):
        self.outdir = outdir

    async def handle_DATA(self, server, session, envelope):
        base = f"{int(time.time()*1000):013d}-{next(_seq):05d}-{uuid.uuid4().hex[:8]}"
        eml, meta = os.path.join(self.outdir, base + ".eml"), os.path.join(self.outdir, base + ".json")
        raw = envelope.original_content or envelope.content
        headers, subject, body = decode(raw)
        with open(meta + ".tmp", "w", encoding="utf-8") as f:
            json.dump({
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "peer": list(session.peer) if session.peer else None,
                "received_at": datetime.now(timezone.utc).isoformat(),
                "eml": base + ".eml",
                "headers": headers,
                "subject": subject,
                "body": body,
            }, f, indent=1, ensure_ascii=False)
        os.replace(meta + ".tmp", meta)
        with open(eml + ".tmp", "wb") as f:
            f.write(raw)
        os.replace(eml + ".tmp", eml)
        print(f"stored {base}.eml from={envelope.mail_from} to={envelope.rcpt_tos}", flush=True)
        return "250 Message accepted for delivery"

async def main(a):
    os.makedirs(a.dir, exist_ok=True)
    if a.delay > 0:                     # simulate "SMTP down, comes up later"
        await asyncio.sleep(a.delay)
    loop = asyncio.get_running_loop()
    handler = Recorder(a.dir)
    # hostname= avoids socket.getfqdn() (can hang on DNS in CI containers)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="localhost", enable_SMTPUTF8=True),
        host=a.host, port=a.port, reuse_address=True)
    print(f"READY {a.port}", flush=True)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    server.close()
    try:  # py3.12+ waits for open client connections; don't hang on them
        await asyncio.wait_for(server.wait_closed(), 2)
    except asyncio.TimeoutError:
        pass

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--delay", type=float, default=0)
    asyncio.run(main(p.parse_args()))

#!/usr/bin/env python3
"""Recording SMTP sink for tests (aiosmtpd).  Each accepted message becomes
   <dir>/<seq>-<uuid>.eml   raw message bytes as received (DATA payload)
   <dir>/<seq>-<uuid>.json  {"mail_from","rcpt_tos","peer","received_at","eml",
                             "tls" (TLS version, or null for plain), "auth_login"
                             (user name of a successful AUTH, or null),
                             "headers": {name: [decoded values]}, "subject", "body"}
   (subject and body decoded from their MIME/RFC 2047 encodings, so tests can
   assert on the text a reader sees; the raw .eml is kept as received)
The .json is written first and the .eml is renamed into place last, so
"count *.eml" never sees a half-written message.
Usage: smtp_server.py --port N --dir DIR [--host 127.0.0.1] [--delay SECS]
         [--tls-cert CRT --tls-key KEY [--require-starttls] [--tls-port M]]
         [--auth USER:PASSWORD]
With a certificate, --port offers STARTTLS (plain stays allowed unless
--require-starttls) and --tls-port M also listens with implicit TLS (SMTPS).
--auth accepts that one login (AUTH PLAIN/LOGIN, offered only under TLS).
Prints "READY <port>" on stdout once listening. SIGTERM/SIGINT stop it."""
import argparse, asyncio, json, os, signal, ssl, sys, time, uuid, itertools
import email, email.policy
from datetime import datetime, timezone
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

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
        tls = server.transport.get_extra_info("ssl_object") if server.transport else None
        auth = getattr(session, "auth_data", None) if session.authenticated else None
        with open(meta + ".tmp", "w", encoding="utf-8") as f:
            json.dump({
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "peer": list(session.peer) if session.peer else None,
                "received_at": datetime.now(timezone.utc).isoformat(),
                "eml": base + ".eml",
                "tls": tls.version() if tls is not None else None,
                "auth_login": auth.login.decode() if isinstance(auth, LoginPassword) else None,
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
    context = None
    if a.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(a.tls_cert, a.tls_key)
    authenticator = None
    if a.auth:
        user, password = a.auth.split(":", 1)
        def authenticator(server, session, envelope, mechanism, data):
            ok = isinstance(data, LoginPassword) and data.login.decode() == user and data.password.decode() == password
            return AuthResult(success=ok, auth_data=data if ok else None)
    # hostname= avoids socket.getfqdn() (can hang on DNS in CI containers)
    def smtp(starttls):
        return SMTP(handler, hostname="localhost", enable_SMTPUTF8=True,
                    tls_context=context if starttls else None,
                    require_starttls=bool(starttls and a.require_starttls),
                    authenticator=authenticator, auth_require_tls=starttls)  # SMTPS is TLS already
    servers = [await loop.create_server(lambda: smtp(True), host=a.host, port=a.port, reuse_address=True)]
    if a.tls_port:
        servers.append(await loop.create_server(lambda: smtp(False), host=a.host, port=a.tls_port,
                                                reuse_address=True, ssl=context))
    print(f"READY {a.port}", flush=True)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    for server in servers:
        server.close()
    try:  # py3.12+ waits for open client connections; don't hang on them
        await asyncio.wait_for(asyncio.gather(*(s.wait_closed() for s in servers)), 2)
    except asyncio.TimeoutError:
        pass

if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-port", type=int)
    p.add_argument("--require-starttls", action="store_true")
    p.add_argument("--auth", help="USER:PASSWORD")
    args = p.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key) or ((args.tls_port or args.require_starttls) and not args.tls_cert):
        p.error("--tls-port and --require-starttls need --tls-cert and --tls-key")
    asyncio.run(main(args))

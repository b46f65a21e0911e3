#!/usr/bin/python3
"""A real SMTP server for tests (aiosmtpd, Debian python3-aiosmtpd) on 127.0.0.1.

Every accepted message is written to DIR as one JSON file (envelope, Message-ID, decoded
subject and body), atomically, before the server answers 250 to the end of data.
Recipients whose local part starts with "reject" get a permanent 550 at RCPT.
--delay-ms holds the 250 back after the file is written: the window in which a client that
dies has delivered a message without knowing it.

  smtp_sink.py --dir DIR --port PORT [--port-file FILE] [--delay-ms N]
"""
import argparse
import asyncio
import email
import email.policy
import json
import os

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory, delay_ms):
        self.directory = directory
        self.delay = delay_ms / 1000.0
        self.count = len([n for n in os.listdir(directory) if n.endswith(".json")])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@")[0].startswith("reject"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.count += 1
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "message_id": message["Message-ID"],
            "subject": str(message["Subject"]),
            "content_type": message.get_content_type(),
            "body": message.get_content(),
        }
        name = os.path.join(self.directory, "%06d-%d.json" % (self.count, os.getpid()))
        with open(name + ".tmp", "w", encoding="utf-8") as out:
            json.dump(record, out, ensure_ascii=False)
        os.rename(name + ".tmp", name)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 OK"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--delay-ms", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    handler = Sink(args.dir, args.delay_ms)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", args.port)
    port = server.sockets[0].getsockname()[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as out:
            out.write(str(port))
        os.rename(args.port_file + ".tmp", args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())

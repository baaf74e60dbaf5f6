"""An SMTP sink (aiosmtpd) that records the Message-ID and recipients of every message it accepts.

In-process (the failure harness)::

    with SmtpSink(delay=0.005, refuse={"bounce@example.test"}) as sink:
        ...  # EMAIL_URL=smtp://127.0.0.1:{sink.port}
        sink.received  # [Received(message_id, recipients), ...] in the order accepted

As a process of its own (bench_digest)::

    python -m tests.digest.smtp_sink --port 0 --out /tmp/sink.tsv [--delay 0.005]

prints ``listening 127.0.0.1:PORT`` once it accepts connections, appends ``message-id<TAB>recipients``
to FILE for every accepted message (flushed at once), and stops on SIGTERM or SIGINT.

A message counts as received when the sink answers its DATA with 250: it is recorded just before
that reply (after the optional delay), so a client that dies before reading the reply leaves a
message the sink holds, and one that dies during the delay leaves none (the handler is cancelled
with the connection), the two outcomes a real server has.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
import threading
from typing import NamedTuple

from aiosmtpd.smtp import SMTP

# aiosmtpd logs every command at INFO: thousands of lines a second under load.
logging.getLogger("mail.log").setLevel(logging.WARNING)

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.IGNORECASE | re.MULTILINE)


class Received(NamedTuple):
    message_id: str
    recipients: tuple[str, ...]
    content: bytes = b""  # the message as received, when the sink keeps it


class SinkHandler:
    """aiosmtpd handler: refuses the recipients in `refuse` (550, a permanent error), waits
    `delay` seconds per message, then records it (and appends it to `out`, an open text file);
    with `keep`, the record holds the message's bytes too."""

    def __init__(self, *, delay: float = 0.0, refuse=(), out=None, keep=False):
        self.delay = delay
        self.keep = keep
        self.refuse = {address.lower() for address in refuse}
        self.out = out
        self.received: list[Received] = []
        self.refused: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            self.refused.append(address)
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        found = MESSAGE_ID.search(content.split(b"\r\n\r\n", 1)[0])
        record = Received(
            found.group(1).decode("ascii", "replace") if found else "",
            tuple(envelope.rcpt_tos),
            content if self.keep else b"",
        )
        self.received.append(record)
        if self.out is not None:
            self.out.write(f"{record.message_id}\t{','.join(record.recipients)}\n")
            self.out.flush()
        return "250 2.0.0 OK: queued"


async def _serve(handler: SinkHandler, host: str, port: int) -> asyncio.base_events.Server:
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(handler, hostname="sink.localhost", ident="digest sink", loop=loop), host=host, port=port
    )


class SmtpSink:
    """The sink on an event loop in a daemon thread of this process (port 0: any free port)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0, refuse=(), keep=False):
        self.host = host
        self.handler = SinkHandler(delay=delay, refuse=refuse, keep=keep)
        self._requested_port = port
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None
        self._thread: threading.Thread | None = None

    @property
    def received(self) -> list[Received]:
        return list(self.handler.received)

    def start(self) -> SmtpSink:
        ready = threading.Event()
        failure: list[BaseException] = []

        def run():
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                self._server = loop.run_until_complete(_serve(self.handler, self.host, self._requested_port))
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to the caller of start()
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                self._server.close()
                loop.run_until_complete(self._server.wait_closed())
                loop.close()

        self._thread = threading.Thread(target=run, name="smtp-sink", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the SMTP sink did not start")
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()


def read_records(path) -> list[Received]:
    """The records a sink process appended to `path`."""
    records = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            message_id, _tab, recipients = line.rstrip("\n").partition("\t")
            records.append(Received(message_id, tuple(filter(None, recipients.split(",")))))
    return records


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--out", required=True, help="file the records are appended to")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait before accepting each message")
    parser.add_argument("--refuse", action="append", default=[], help="recipient to refuse with 550 (repeatable)")
    options = parser.parse_args(argv)

    async def serve():
        with open(options.out, "a", encoding="utf-8") as out:
            handler = SinkHandler(delay=options.delay, refuse=options.refuse, out=out)
            server = await _serve(handler, options.host, options.port)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(signum, stop.set)
            port = server.sockets[0].getsockname()[1]
            print(f"listening {options.host}:{port}", flush=True)
            await stop.wait()
            server.close()
            await server.wait_closed()
            print(f"received {len(handler.received)}, refused {len(handler.refused)}", flush=True)

    asyncio.run(serve())


if __name__ == "__main__":
    main(sys.argv[1:])

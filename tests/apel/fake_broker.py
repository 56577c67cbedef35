"""A one-client STOMP server on loopback that answers CONNECT as a test tells it to.

Real brokers (RabbitMQ, ActiveMQ) are used wherever their behaviour is the point; this one
stands in for what they cannot be made to do on purpose: never acknowledge a SEND, or
refuse every CONNECT with a given ERROR frame.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

CONNECTED = b"CONNECTED\nversion:1.1\n\n\x00"


def error_frame(message: str, body: str) -> bytes:
    return f"ERROR\nmessage:{message}\ncontent-type:text/plain\n\n{body}\x00".encode()


class FakeBroker:
    """Records every frame the client sends; answers CONNECT (or STOMP) with `on_connect`.
    A SEND is never acknowledged, unless `receipt_for(n)` says so for the n-th (from 1)."""

    def __init__(
        self, on_connect: bytes = CONNECTED, receipt_for: Callable[[int], bool] | None = None
    ) -> None:
        self.on_connect = on_connect
        self.receipt_for = receipt_for or (lambda n: False)
        self.sends = 0
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.frames: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def send_headers(self) -> list[str]:
        """The header lines of the first SEND frame received."""
        send = next(f for f in self.frames if f.startswith(b"SEND"))
        return send.split(b"\n\n", 1)[0].decode().split("\n")[1:]

    def _answer_send(self, client: socket.socket, frame: bytes) -> None:
        self.sends += 1
        if not self.receipt_for(self.sends):
            return
        lines = frame.split(b"\n\n", 1)[0].split(b"\n")
        receipt = next(line for line in lines if line.startswith(b"receipt:"))[8:]
        client.sendall(b"RECEIPT\nreceipt-id:" + receipt + b"\n\n\x00")

    def _serve(self) -> None:
        self.server.settimeout(10)
        try:
            client, _ = self.server.accept()
        except OSError:
            return
        with client:
            client.settimeout(10)
            buffer = b""
            while True:
                try:
                    chunk = client.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                buffer += chunk
                while b"\x00" in buffer:
                    frame, buffer = buffer.split(b"\x00", 1)
                    frame = frame.lstrip(b"\r\n")
                    self.frames.append(frame)
                    if frame.startswith((b"STOMP", b"CONNECT")):
                        client.sendall(self.on_connect)
                    elif frame.startswith(b"SEND"):
                        self._answer_send(client, frame)

"""A TCP proxy on 127.0.0.1:0 in front of a STOMP broker that can make the broker go away.

`cut_after_send=n` lets the n-th SEND frame reach the broker whole, holds back everything
the broker answers from then on (its RECEIPT included), and closes every connection and
the listening port: to the sender, the broker vanished mid-stream after taking the message.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time

_SEND_START = re.compile(rb"\x00\n*SEND\n")
_CHUNK = 65536


class BrokerProxy:
    def __init__(self, target_port: int, cut_after_send: int | None = None) -> None:
        self._target = ("127.0.0.1", target_port)
        self._cut_after = cut_after_send
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = int(self._listener.getsockname()[1])
        self._sockets: list[socket.socket] = []
        self._closed = threading.Event()
        self._hold_answers = threading.Event()
        self._sends = 0
        self._tail = b""
        self._in_cut_frame = False
        self.cut_done = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed.set()
        # shutdown() first: close() alone leaves the port listening while the accept
        # thread still holds the socket, and the "gone" broker would take a connection.
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            if self._closed.is_set():
                client.close()
                return
            upstream = socket.create_connection(self._target, timeout=5)
            upstream.settimeout(None)
            self._sockets += [client, upstream]
            threading.Thread(target=self._to_broker, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._to_client, args=(upstream, client), daemon=True).start()

    def _to_client(self, upstream: socket.socket, client: socket.socket) -> None:
        try:
            while data := upstream.recv(_CHUNK):
                if self._hold_answers.is_set():
                    continue  # the receipt is lost with the broker
                client.sendall(data)
        except OSError:
            pass

    def _to_broker(self, client: socket.socket, upstream: socket.socket) -> None:
        try:
            while data := client.recv(_CHUNK):
                forward, cut = self._inspect(data)
                upstream.sendall(forward)
                if cut:
                    time.sleep(0.5)  # let the broker take the whole frame
                    self.cut_done.set()
                    self.close()
                    return
        except OSError:
            pass

    def _inspect(self, data: bytes) -> tuple[bytes, bool]:
        """What of `data` to pass on, and whether to vanish after passing it."""
        if self._cut_after is None:
            return data, False
        if not self._in_cut_frame:
            stream = self._tail + data
            for match in _SEND_START.finditer(stream):
                if match.end() <= len(self._tail):
                    continue  # counted with the previous chunk
                self._sends += 1
                if self._sends == self._cut_after:
                    self._in_cut_frame = True
                    self._hold_answers.set()
                    data = stream[match.end() - 1 :]  # search for its NUL from here
                    prefix = stream[len(self._tail) : match.end() - 1]
                    rest, cut = self._frame_end(data)
                    self._tail = stream[-16:]
                    return prefix + rest, cut
            self._tail = stream[-16:]
            return data, False
        return self._frame_end(data)

    @staticmethod
    def _frame_end(data: bytes) -> tuple[bytes, bool]:
        end = data.find(b"\x00")
        return (data, False) if end < 0 else (data[: end + 1], True)

"""A tiny VacMon stand-in on 127.0.0.1:0 that records requests and plays given answers."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Recorder:
    def __init__(self, answers=None):
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.answers = list(answers or [])  # (status, body) per request; default 202

    def answer(self, body: bytes) -> tuple[int, bytes]:
        if self.answers:
            return self.answers.pop(0)
        try:
            items = json.loads(body)
        except ValueError:
            return 202, b"{}"
        count = len(items) if isinstance(items, list) else 1
        results = [{"index": i, "status": "accepted"} for i in range(count)]
        return 202, json.dumps({"results": results}).encode()


def serve(recorder: Recorder):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            recorder.requests.append((self.path, dict(self.headers), body))
            status, answer = recorder.answer(body)
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"

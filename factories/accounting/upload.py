"""Upload APEL records to VacMon's `/api/v1/apel/messages` with the site token."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from factories.transport.http import Post, endpoint, urllib_post

APEL_PATH = "/api/v1/apel/messages"


@dataclass(frozen=True, slots=True)
class UploadResult:
    status: int  # HTTP status, 0 if VacMon could not be reached
    body: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class ApelUploader:
    def __init__(
        self, base_url: str, token: str, *, timeout: float = 30.0, post: Post = urllib_post
    ) -> None:
        self.url = endpoint(base_url, APEL_PATH)
        self.token = token
        self.timeout = timeout
        self._post = post

    def upload(self, text: str) -> UploadResult:
        headers = {
            "Content-Type": "text/plain; charset=us-ascii",
            "Authorization": f"Bearer {self.token}",
        }
        status, body = self._post(self.url, text.encode("ascii"), headers, self.timeout)
        return UploadResult(status, body.decode("utf-8", "replace"))

    def upload_outgoing(self, outgoing_dir: str | Path) -> list[tuple[Path, UploadResult]]:
        """Send every file under `apel-outgoing/` oldest first and delete the accepted ones,
        as ssmsend does. Stops at the first unreachable/5xx answer so later files wait;
        a 4xx leaves the file in place for an operator."""
        results: list[tuple[Path, UploadResult]] = []
        root = Path(outgoing_dir)
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
        for path in files:
            result = self.upload(path.read_text(encoding="ascii"))
            results.append((path, result))
            if result.ok:
                path.unlink()
            elif result.status == 0 or result.status >= 500:
                break
        return results

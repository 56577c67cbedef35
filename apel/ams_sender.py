"""Publish to the ARGO Messaging Service over HTTPS, as ssmsend's AMS mode does (spec 2.6).

A message is `{"data": base64(signed text), "attributes": {"empaid": id}}`; a 200 answer
with a message id is the acknowledgement.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

from apel.config import AmsSettings
from apel.transport import TransportError

PUBLISH_TIMEOUT = 10.0


def publish_request(settings: AmsSettings, message_id: str, body: str) -> urllib.request.Request:
    """Build the publish request; pure, so it can be checked without a server."""
    path = (
        f"/v1/projects/{urllib.parse.quote(settings.project)}"
        f"/topics/{urllib.parse.quote(settings.topic)}:publish"
    )
    query = urllib.parse.urlencode({"key": settings.token})
    payload = {
        "messages": [
            {
                "attributes": {"empaid": message_id},
                "data": base64.b64encode(body.encode("ascii")).decode("ascii"),
            }
        ]
    }
    return urllib.request.Request(
        f"{settings.url}{path}?{query}",
        data=json.dumps(payload).encode("ascii"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )


class AmsSender:
    def __init__(self, settings: AmsSettings, timeout: float = PUBLISH_TIMEOUT) -> None:
        self._settings = settings
        self._timeout = timeout

    def send(self, message_id: str, body: str) -> None:
        request = publish_request(self._settings, message_id, body)
        try:
            with urllib.request.urlopen(request, timeout=self._timeout) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            detail = error.read()[:300].decode("ascii", "replace")
            raise TransportError(f"AMS answered {error.code}: {detail}") from error
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise TransportError(f"AMS publish failed: {error}") from error
        if not isinstance(answer, dict) or not answer.get("messageIds"):
            raise TransportError(f"AMS did not acknowledge the message: {answer!r}")

    def close(self) -> None:
        """Nothing to close: each publish is one HTTPS request."""

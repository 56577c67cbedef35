"""APEL accounting records written when a machine finishes, and their upload to VacMon."""

from __future__ import annotations

from factories.accounting.files import ApelWriter, vac_file_name, vcycle_file_name
from factories.accounting.record import (
    HEADER,
    ApelError,
    global_user_name,
    render,
    vac_fields,
    vcycle_fields,
)
from factories.accounting.upload import APEL_PATH, ApelUploader, UploadResult

__all__ = [
    "APEL_PATH",
    "HEADER",
    "ApelError",
    "ApelUploader",
    "ApelWriter",
    "UploadResult",
    "global_user_name",
    "render",
    "vac_fields",
    "vac_file_name",
    "vcycle_fields",
    "vcycle_file_name",
]

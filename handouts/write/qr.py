"""The QR code printed on a handout that has an online copy (front matter `url:`): a phone
opens the page; the address is printed beside it for readers without one."""

from __future__ import annotations

import base64
import io

import segno


def data_url(url: str) -> str:
    """A black-on-white PNG QR code of url (error correction M: readable when a photocopy
    smudges it), as a data: URL."""
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=8, border=4)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()

"""The files uploaded to a person (its attachments) hold its personal data, which no key shreds:
erasing the person deletes them from the blob directory. A file is stored once by its hash, so
one that another partner holds as well (the same bytes uploaded to both) stays for that one; the
erased person's download of it answers 404 all the same (``services/api/partners.py``)."""

from __future__ import annotations

import json
import logging

from sqlalchemy import select

from projections.catalog import Catalog
from services.adapters.blobs import BlobStore

log = logging.getLogger("counterparty.attachments")


class AttachmentFiles:
    def __init__(self, catalog: Catalog, blobs: BlobStore) -> None:
        self.catalog = catalog
        self.blobs = blobs

    def shred(self, subjects: list[str]) -> None:
        """Deletes the attachments' files of the erased persons among ``subjects`` (the store
        calls it after an erasure; contacts have none)."""
        t = self.catalog.table("partner_directory", "partners")
        with self.catalog.engine.connect() as conn:
            rows = conn.execute(select(t.c.attachments).where(t.c.id.in_(subjects))).scalars()
            hashes = {a["sha256"] for text in rows for a in json.loads(text).values()}
            for sha256 in sorted(hashes):
                others = select(t.c.id).where(t.c.id.not_in(subjects), t.c.attachments.contains(sha256))
                if conn.execute(others.limit(1)).first() is not None:
                    continue
                try:
                    self.blobs.path(sha256).unlink(missing_ok=True)
                except OSError:
                    log.exception("could not delete an erased person's file", extra={"sha256": sha256})

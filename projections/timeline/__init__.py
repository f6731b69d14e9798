"""Every recorded fact about a partner, in log order, with a one-line summary.

One projection, ``timeline``, defined in ``entries``; each other module of this package adds the
handlers of one domain to it."""

# Imported for their handlers: the projection is complete once the package is imported.
from projections.timeline import activities, collection, documents, mailings, messages, partners, requests  # noqa: F401
from projections.timeline.entries import timeline

__all__ = ["timeline"]

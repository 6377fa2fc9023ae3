"""A keyset page as the API answers it: the rows, the bounded count, and links to the pages
beside it (the same query with the page's cursor in place of any ``offset``)."""

from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request, url_for

from ..services.paging import Page


def _link(**position: str | int | None) -> str | None:
    if all(v is None for v in position.values()):
        return None
    params: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("cursor", "offset")}
    params.update(request.view_args or {}, **position)
    return url_for(request.endpoint or "", **params)


def listing(page: Page) -> dict:
    """A search pages by offset within its capped matches (``page.extra["offsets"]``)."""
    if "offsets" in page.extra:
        before, after = page.extra["offsets"]
        links = {"next": _link(offset=after), "prev": _link(offset=before)}
    else:
        links = {"next": _link(cursor=page.next), "prev": _link(cursor=page.prev)}
    return {"items": page.items, "total": page.total, "total_capped": page.capped, "links": links}


def listing_response(page: Page, row: Callable[[Any], dict]) -> Response:
    """:func:`listing` as the finished response, each item dumped by ``row``
    (:func:`..schemas.flat.flat_dumper` of the item schema the route documents), so the
    route's response schema does not dump the rows again."""
    body = listing(page)
    body["items"] = [row(item) for item in body["items"]]
    return jsonify(body)

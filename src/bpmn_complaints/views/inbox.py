"""The staff inbox: my tasks, my groups' unclaimed tasks, and (supervisors) all tasks."""

from flask import Blueprint, current_app, render_template, request, url_for

from ..input_limits import bounded_int
from ..policy import SEE_ALL_TASKS, WORK_TASKS, allows
from ..schemas.resources import PRIORITIES, TaskQuery
from ..services import paging
from ..services import tasks as service
from ..services.instances import open_incident_complaints
from .auth import me, staff_required

bp = Blueprint("inbox", __name__)
TABS = (("mine", "My tasks"), ("group", "My groups' unclaimed"), ("all", "All tasks"))
SORTS = (("due", "Due date"), ("priority", "Priority"), ("created", "Oldest first"), ("-created", "Newest first"))
FILTERS = ("scope", "priority", "overdue", "lane", "sort")


@bp.route("/inbox")
@staff_required(WORK_TASKS)
def inbox():
    args = {k: v for k, v in request.args.items() if v != "" and k in FILTERS}
    query = TaskQuery(exclude=("limit", "offset", "reference", "state")).load(
        {**args, **({"cursor": request.args["cursor"]} if request.args.get("cursor") else {})})
    cursor = query.pop("cursor")
    # ``page=N`` from older links still opens that page (by offset); the links use cursors.
    page = max(1, bounded_int(request.args.get("page", 1, type=int) or 1, "page") or 1)
    size = current_app.config["INBOX_PAGE_SIZE"]
    user = me()
    scopes = [key for key, _ in TABS if key != "all" or allows(user, SEE_ALL_TASKS)]
    # Each tab says how many tasks it holds (with no filters: what waits there), from the
    # counts the database keeps; the list's own count is its tab's when no filter narrows
    # it, else counted up to the bound.
    counts = service.tab_counts(user, scopes)
    filtered = any(k in args for k in ("priority", "overdue", "lane"))
    found = service.list_tasks(user, **query, limit=size, offset=(page - 1) * size, cursor=cursor,
                               count=filtered or query["scope"] not in counts)
    if not filtered and query["scope"] in counts:
        found.total, found.capped = counts[query["scope"]]

    def link(cursor=None, **changes):
        params = {**args, **changes, "cursor": cursor}
        return url_for("inbox.inbox", **{k: v for k, v in params.items() if v not in (None, "")})

    tabs = [(key, label, paging.shown(*counts[key])) for key, label in TABS if key in counts]
    return render_template("inbox.html", items=found.items, total=found.total, total_shown=paging.shown(
                               found.total, found.capped), page=found, query=query, args=args, tabs=tabs,
                           sorts=SORTS, priorities=PRIORITIES, lanes=service.lanes_for(user, query.get("lane")),
                           link=link, last=paging.last_cursor(service.SORTS[query["sort"]]), user=user,
                           summaries=service.summaries(found.items),
                           with_incident=open_incident_complaints(
                               {t.complaint_id for t in found.items if t.complaint_id}))

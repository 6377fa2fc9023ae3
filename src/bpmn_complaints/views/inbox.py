"""The staff inbox: my tasks, my groups' unclaimed tasks, and (supervisors) all tasks."""

from flask import Blueprint, current_app, render_template, request, url_for

from ..input_limits import bounded_int
from ..policy import SEE_ALL_TASKS, WORK_TASKS, allows
from ..schemas.resources import PRIORITIES, TaskQuery
from ..services import tasks as service
from ..services.instances import open_incident_complaints
from .auth import me, staff_required

bp = Blueprint("inbox", __name__)
TABS = (("mine", "My tasks"), ("group", "My groups' unclaimed"), ("all", "All tasks"))
SORTS = (("due", "Due date"), ("priority", "Priority"), ("created", "Oldest first"), ("-created", "Newest first"))


@bp.route("/inbox")
@staff_required(WORK_TASKS)
def inbox():
    args = {k: v for k, v in request.args.items() if v != "" and k in ("scope", "priority", "overdue", "lane", "sort")}
    query = TaskQuery(exclude=("limit", "offset", "reference", "state")).load(args)
    page = max(1, bounded_int(request.args.get("page", 1, type=int) or 1, "page") or 1)
    size = current_app.config["INBOX_PAGE_SIZE"]
    user = me()
    items, total = service.list_tasks(user, **query, limit=size, offset=(page - 1) * size)
    pages = max(1, -(-total // size))

    def link(**changes):
        params = {**args, "page": page, **changes}
        return url_for("inbox.inbox", **{k: v for k, v in params.items() if v not in (None, "")})

    # Each tab says how many tasks it holds (with no filters: what waits there).
    tabs = [(key, label, service.list_tasks(user, scope=key, limit=1, offset=0)[1])
            for key, label in TABS if key != "all" or allows(user, SEE_ALL_TASKS)]
    return render_template("inbox.html", items=items, total=total, page=page, pages=pages,
                           query=query, args=args, tabs=tabs, sorts=SORTS, priorities=PRIORITIES,
                           lanes=service.lanes_for(user, query.get("lane")),
                           link=link, user=user, summaries=service.summaries(items),
                           with_incident=open_incident_complaints({t.complaint_id for t in items if t.complaint_id}))

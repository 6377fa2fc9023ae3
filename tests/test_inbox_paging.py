"""Keyset pages and bounded counts through the API and the pages: a walk by cursor sees
every task that stays open exactly once while tasks come and go between pages, counts stop
at the bound and say so, and cursors from elsewhere are a 400."""

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import DIAGRAMS

ASSESSED = {"in_scope": True, "severity": "high"}


def submit(api):
    """A complaint entered by sam (staff are not rate-limited as the public form is)."""
    response = api.post("/api/complaints", "sam", json={"name": "Dana Example", "email": "dana@example.com",
                                                        "description": "Charged twice.", "channel": "phone"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def desk(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    api.user("alice", groups=["intake"])
    api.user("sam", groups=["intake"], roles=("staff", "supervisor"))
    return api


def walk(api, who, first, seen, between=None):
    """Follow ``links.next`` from ``first`` (a path), recording each item's id in ``seen``
    (a list), calling ``between`` after every page; returns the pages' sizes."""
    path, sizes = first, []
    while path:
        body = api.get(path, who).get_json()
        seen += [item["id"] for item in body["items"]]
        sizes.append(len(body["items"]))
        path = body["links"]["next"]
        if path:
            assert "cursor=" in path and "offset=" not in path
        if between:
            between()
    return sizes


@pytest.mark.parametrize("sort", ["created", "-created", "due", "priority"])
def test_a_walk_sees_each_task_that_stays_open_once_while_others_come_and_go(desk, sort):
    refs = [submit(desk)["reference"] for _ in range(7)]
    start = {t["complaint_reference"]: t["id"] for t in desk.tasks("alice", "group", limit=50)["items"]}
    assert set(start) == set(refs)
    done, added = [], []
    victims = iter(refs[::2])  # completed one by one between pages, wherever they are

    def churn():
        ref = next(victims, None)
        if ref is not None:
            desk.work("alice", ref, ASSESSED)
            done.append(start[ref])
        added.append(submit(desk)["reference"])

    seen: list[str] = []
    sizes = walk(desk, "alice", f"/api/tasks?scope=group&sort={sort}&limit=2", seen, churn)
    assert len(seen) == len(set(seen)), "a task showed up on two pages"
    stayed = set(start.values()) - set(done)
    assert stayed <= set(seen), "a task that stayed open was skipped"
    assert sizes[:-1] == [2] * (len(sizes) - 1)
    # The walk ends: what is open now is what the last count says.
    body = desk.tasks("alice", "group", sort=sort, limit=50)
    assert body["total"] == len(body["items"]) == len(stayed) + len(added)


def test_previous_links_walk_back_over_the_same_rows(desk):
    for _ in range(5):
        submit(desk)
    pages = []
    body = desk.tasks("alice", "group", sort="created", limit=2)
    assert body["links"]["prev"] is None
    while True:
        pages.append([t["id"] for t in body["items"]])
        if not body["links"]["next"]:
            break
        body = desk.get(body["links"]["next"], "alice").get_json()
    assert [len(p) for p in pages] == [2, 2, 1]
    back = desk.get(body["links"]["prev"], "alice").get_json()
    assert [t["id"] for t in back["items"]] == pages[1]
    back = desk.get(back["links"]["prev"], "alice").get_json()
    assert [t["id"] for t in back["items"]] == pages[0] and back["links"]["prev"] is None


def test_offset_still_pages_for_older_clients(desk):
    for _ in range(4):
        submit(desk)
    everything = [t["id"] for t in desk.tasks("alice", "group", sort="created")["items"]]
    skipped = desk.tasks("alice", "group", sort="created", offset=1, limit=2)
    assert [t["id"] for t in skipped["items"]] == everything[1:3] and skipped["total"] == 4
    # Its links carry on by cursor from there.
    assert "offset" not in parse_qs(urlsplit(skipped["links"]["next"]).query)
    rest = desk.get(skipped["links"]["next"], "alice").get_json()
    assert [t["id"] for t in rest["items"]] == everything[3:]
    # Over several groups too (one investigation joins the intake tasks).
    desk.user("mia", groups=["intake", "investigators"])
    desk.work("alice", desk.tasks("alice", "group", sort="created")["items"][0]["complaint_reference"], ASSESSED)
    both = [t["id"] for t in desk.tasks("mia", "group", sort="-created")["items"]]
    assert len(both) == 4
    assert [t["id"] for t in desk.tasks("mia", "group", sort="-created", offset=1, limit=2)["items"]] == both[1:3]


def test_tab_counts_are_exact_and_filtered_counts_stop_at_the_bound(desk, app):
    refs = [submit(desk)["reference"] for _ in range(4)]
    app.config["INBOX_COUNT_BOUND"] = 3
    # A tab's count is kept by the database (models/task_counts.py): exact past the bound.
    body = desk.tasks("alice", "group", limit=2)
    assert (body["total"], body["total_capped"]) == (4, False)
    assert (desk.tasks("sam", "all")["total"], desk.tasks("alice", "mine")["total"]) == (4, 0)
    # A filtered list counts its rows, up to the bound, and says so.
    filtered = desk.tasks("alice", "group", overdue="false")
    assert (filtered["total"], filtered["total_capped"]) == (3, True)
    listed = desk.get("/api/complaints", "sam").get_json()
    assert (listed["total"], listed["total_capped"]) == (3, True)
    # The bound is a bound: at it exactly, the count is exact.
    desk.work("alice", refs[0], ASSESSED)
    filtered = desk.tasks("alice", "group", overdue="false")
    assert (filtered["total"], filtered["total_capped"]) == (3, False)
    assert desk.tasks("alice", "group")["total"] == 3
    for _ in range(2):
        submit(desk)

    from test_web_staff import Browser, add_user  # the signed-in browser of the page tests

    add_user(desk.runner, "ada", ["intake"])
    page = Browser(app).login("ada").get("/inbox?scope=group").get_data(as_text=True)
    assert "5 tasks" in page and re.search(r'id="count-group">5<', page)
    assert re.search(r'id="count-mine">0<', page)
    filtered_page = Browser(app).login("ada").get("/inbox?scope=group&overdue=false").get_data(as_text=True)
    assert "3+ tasks" in filtered_page


def test_a_cursor_from_elsewhere_is_a_400(desk):
    for _ in range(3):
        submit(desk)
    body = desk.tasks("alice", "group", sort="created", limit=1)
    cursor = parse_qs(urlsplit(body["links"]["next"]).query)["cursor"][0]
    other = desk.get("/api/tasks", "alice", query_string={"scope": "group", "sort": "priority", "cursor": cursor})
    assert other.status_code == 400 and other.get_json()["error"]["details"]["field"] == "cursor"
    for junk in ("x", "%%%", "eyJvIjoiY3JlYXRlZCIsImQiOiJhZnRlciIsImsiOlsxLDJdfQ", "A" * 3000):
        answer = desk.get("/api/tasks", "alice", query_string={"scope": "group", "cursor": junk})
        assert answer.status_code == 400, junk
    answer = desk.get("/api/complaints", "sam", query_string={"cursor": cursor})
    assert answer.status_code == 400


def test_the_inbox_pages_by_cursor_to_the_last_page_and_back(desk, app):
    refs = [submit(desk)["reference"] for _ in range(5)]
    app.config["INBOX_PAGE_SIZE"] = 2
    from test_web_staff import Browser, add_user

    add_user(desk.runner, "ada", ["intake"])
    ada = Browser(app).login("ada")
    first = ada.get("/inbox?scope=group&sort=created").get_data(as_text=True)
    assert refs[0] in first and refs[2] not in first and "« First" not in first
    last = html.unescape(re.search(r'href="([^"]+)">Last »', first).group(1))
    end = ada.get(last).get_data(as_text=True)
    assert refs[4] in end and refs[3] in end and refs[2] not in end and 'rel="next"' not in end
    before = html.unescape(re.search(r'href="([^"]+)" rel="prev"', end).group(1))
    middle = ada.get(before).get_data(as_text=True)
    assert refs[2] in middle and refs[1] in middle and refs[4] not in middle
    # The complaints list pages by cursor too.
    listing = ada.get("/complaints").get_data(as_text=True)
    assert "5 complaints" in listing and 'rel="next"' in listing
    following = html.unescape(re.search(r'href="([^"]+)" rel="next"', listing).group(1))
    assert "cursor=" in following
    second = ada.get(following).get_data(as_text=True)  # newest first: the third and second
    assert refs[2] in second and refs[1] in second and refs[4] not in second and refs[0] not in second

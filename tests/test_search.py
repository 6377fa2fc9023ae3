"""Full-text search over complaints, on both databases, through the API and the page."""

from test_case_file import browser
from test_process_paths import process  # noqa: F401
from test_web_staff import text


def found(api, q, who="sam"):
    response = api.get("/api/complaints", who, query_string={"q": q})
    assert response.status_code == 200, response.get_json()
    return {c["reference"] for c in response.get_json()["items"]}


def test_search_by_reference_name_email_product_and_words(process):
    dana = process.submit(name="Dana Example", email="dana@example.com", product="Broadband",
                          description="The router never arrived and I was billed anyway.")["reference"]
    omar = process.submit(name="Omar Qadir", email="omar.q@example.net", product="Mobile",
                          description="Roaming charges in Spain were not as promised.")["reference"]
    assert found(process, dana.lower()) == {dana}  # any case
    assert found(process, dana[-4:]) == {dana}  # in part
    assert found(process, dana[2:]) == {dana}  # with its digits
    assert found(process, "dana") == {dana}
    assert found(process, "Qadir") == {omar}
    assert found(process, "omar.q@example.net") == {omar}
    assert found(process, "broadband") == {dana}
    assert found(process, "roam spain") == {omar}  # word starts, all words
    assert found(process, "roaming router") == set()
    assert found(process, "'); DROP TABLE complaints; --") == set()
    assert found(process, "example") == {dana, omar}


def test_search_sees_only_what_the_user_may_see_and_forgets_erased_words(process):
    process.user("root", roles=["admin"])
    process.user("bob", groups=["intake"])
    ref = process.submit(name="Zelda Unusualname")["reference"]
    assert found(process, "unusualname") == {ref}
    assert found(process, "unusualname", "ivan") == set()  # not his complaint
    assert found(process, "unusualname", "bob") == {ref}  # in his group's queue
    page = text(browser(process, "sam").get("/complaints?q=unusualname"))
    assert ref in page
    with process.app.app_context():
        from bpmn_complaints.extensions import db
        from bpmn_complaints.models import Complaint
        complaint = db.session.query(Complaint).filter_by(reference=ref).one()
        complaint.name = "[erased]"
        db.session.commit()
    assert found(process, "unusualname") == set()


def entered(api, description):
    """A complaint recorded by staff (the public form's rate limit does not apply)."""
    response = api.post("/api/complaints", "sam", json={"name": "Dana Example", "email": "dana@example.com",
                                                         "description": description, "channel": "phone"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["reference"]


def test_a_reference_is_found_by_any_part_of_it(process):
    refs = [process.submit()["reference"] for _ in range(3)]
    ref = refs[1]
    middle = ref[-5:-1]  # neither its start nor its end
    assert ref in found(process, middle) and ref in found(process, middle.lower())
    assert found(process, ref[5:9]) >= {ref}  # across the hyphen: "26-7K"
    assert found(process, ref) == {ref}
    letters = ref.split("-")[-1]
    assert ref in found(process, letters)  # one word of letters and digits: a reference or a name


def test_a_common_search_is_capped_and_its_pages_stay_newest_first(process, monkeypatch):
    from bpmn_complaints.services import search
    monkeypatch.setattr(search, "CAP", 3)
    process.user("bob", groups=["intake"])
    refs = [entered(process, f"Refund number {n} is missing.") for n in range(6)]
    entered(process, "Nothing to see.")
    response = process.get("/api/complaints", "sam", query_string={"q": "refund", "limit": 4})
    body = response.get_json()
    assert (body["total"], body["total_capped"]) == (3, True)
    newest_first = list(reversed(refs))
    assert [c["reference"] for c in body["items"]] == newest_first[:4]
    second = process.get("/api/complaints", "sam", query_string={"q": "refund", "limit": 4, "offset": 4}).get_json()
    assert [c["reference"] for c in second["items"]] == newest_first[4:]
    # A search the index answers in full is counted exactly.
    exact = process.get("/api/complaints", "sam", query_string={"q": "nothing"}).get_json()
    assert (exact["total"], exact["total_capped"]) == (1, False)
    # The cap never shows what the user may not see: ivan sees none of them.
    theirs = process.get("/api/complaints", "ivan", query_string={"q": "refund"}).get_json()
    assert (theirs["items"], theirs["total"], theirs["total_capped"]) == ([], 0, False)
    assert {c["reference"] for c in process.get("/api/complaints", "bob", query_string={"q": "refund"})
            .get_json()["items"]} == set(refs)
    page = text(browser(process, "sam").get("/complaints?q=refund"))
    assert "More than 3 complaints match" in page

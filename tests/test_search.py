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

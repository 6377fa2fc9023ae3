"""The handler contract an integrator relies on (issue 14): the complaint view carries
personal fields only for handlers that declare the need; the signature is checked at
registration; the idempotency key is the same on every attempt at a task; a plugin reads
its own COMPLAINTS_PLUGIN_<NAME>_* settings; an operator can block a plugin by name."""

import importlib
import sys
from datetime import timedelta

import pytest

from bpmn_complaints import create_app
from bpmn_complaints.clock import get_clock, utcnow
from bpmn_complaints.handlers import HandlerRegistrationError, RetryLater
from bpmn_complaints.handlers.registry import HandlerRegistry
from bpmn_complaints.handlers.spec import handler_options
from conftest import DIAGRAMS
from test_handler_registry import plugin


def run_crm(api, crm_update, **register):
    api.app.extensions["complaints_handlers"].register("crm_update", crm_update, **register)
    assert api.deploy(DIAGRAMS / "retrying.bpmn").exit_code == 0  # retries="2"
    api.user("alice", groups=["intake"])
    api.user("sam", roles=["staff", "supervisor"])
    ref = api.submit()["reference"]
    api.run_worker()
    return ref


def test_personal_fields_only_for_handlers_that_declare_the_need(api):
    seen = []

    @handler_options(personal_data=True)
    def needs(ctx):
        seen.append(ctx.complaint)
        return {}

    run_crm(api, needs)
    [full] = seen
    assert full.email == "dana@example.com" and full.name == "Dana Example" and full.description
    with pytest.raises(AttributeError):
        full.email = "x"  # frozen
    bare = full.without_personal_data()
    assert bare.email is None and bare.name is None and bare.phone is None and bare.reference == full.reference


def test_an_undeclared_handler_sees_no_personal_data(api):
    seen = []

    def crm_update(ctx):
        seen.append(ctx.complaint)
        return {}

    ref = run_crm(api, crm_update)
    [view] = seen
    assert view.reference == ref and view.category == "billing"
    assert (view.name, view.email, view.phone, view.description, view.remedy_sought) == (None,) * 5


def test_the_signature_is_checked_at_registration():
    registry = HandlerRegistry()
    for wrong in (lambda: None, lambda ctx, extra: None, lambda *, ctx: None):
        with pytest.raises(HandlerRegistrationError, match="must take one argument"):
            registry.register("bad", wrong, origin="acme-crm (acme:bad)")
    registry.register("ok", lambda ctx, retries=3: None)
    registry.register("ok_too", lambda *args: None)


def test_the_idempotency_key_is_stable_across_retries(api):
    keys = []

    def crm_update(ctx):
        keys.append((ctx.attempt, ctx.idempotency_key))
        if ctx.attempt < 3:
            raise RetryLater("busy")
        return {}

    ref = run_crm(api, crm_update)
    for _ in range(2):
        with api.app.app_context():
            get_clock().set(utcnow() + timedelta(minutes=1))  # past the backoff
        api.run_worker()
    assert [attempt for attempt, _ in keys] == [1, 2, 3]
    assert len({key for _, key in keys}) == 1
    other = api.submit()["reference"]
    api.run_worker()
    assert keys[-1][1] != keys[0][1] and ref != other
    assert keys[0][1].startswith("complaint_handling:")


def test_a_plugin_reads_its_own_configuration(api):
    api.app.config["PLUGIN_ACME_CRM_URL"] = "https://crm.example.com"
    api.app.config["PLUGIN_ACME_CRM_TOKEN"] = "s3cret"
    api.app.config["PLUGIN_OTHER_TOKEN"] = "not yours"
    seen = []

    def crm_update(ctx):
        seen.append(dict(ctx.config))
        return {}

    run_crm(api, crm_update, origin="acme-crm (acme_crm:update)", plugin="acme-crm")
    assert seen == [{"URL": "https://crm.example.com", "TOKEN": "s3cret"}]


def test_an_operator_blocks_a_plugin_by_name(tmp_path, monkeypatch):
    site = plugin(tmp_path / "site")
    sys.path.insert(0, str(site))
    importlib.invalidate_caches()
    try:
        url = f"sqlite:///{tmp_path / 'x.sqlite'}"
        loaded = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
        assert loaded.extensions["complaints_handlers"].origin("crm_update").startswith("crm-ok")
        sys.modules.pop("crm_ok")
        monkeypatch.setenv("COMPLAINTS_BLOCKED_PLUGINS", "crm_ok")  # any spelling of the distribution name
        blocked = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"}).extensions["complaints_handlers"]
        assert blocked.get("crm_update") is None and blocked.blocked == {"crm_update": "crm-ok"}
        assert "crm_ok" not in sys.modules  # not even imported
    finally:
        sys.path.remove(str(site))
        sys.modules.pop("crm_ok", None)

"""The permission table itself: every permission held by someone, admins holding all, and
a few outcomes the routes rely on (the full route matrix is tested through the routes)."""

from types import SimpleNamespace

import pytest

from bpmn_complaints import policy
from bpmn_complaints.policy import ADMIN, AUDITOR, PERMISSIONS, PROCESS_OWNER, ROLES, STAFF, SUPERVISOR, allows


def person(*roles: str) -> SimpleNamespace:
    return SimpleNamespace(roles=list(roles))


def test_each_constant_is_in_the_table_under_its_own_name() -> None:
    constants = {name: value for name, value in vars(policy).items()
                 if name.isupper() and isinstance(value, str) and value in PERMISSIONS}
    assert set(constants.values()) == set(PERMISSIONS)
    assert all(value == name.lower() for name, value in constants.items())


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_each_permission_names_known_roles_once(permission: policy.Permission) -> None:
    roles = policy.roles_for(permission)
    assert roles and set(roles) <= set(ROLES) and len(set(roles)) == len(roles)


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_admin_has_every_permission_and_nobody_without_a_role_has_any(permission: policy.Permission) -> None:
    assert allows(person(ADMIN), permission)
    assert not allows(person(), permission)


def test_auditors_read_reports_but_do_not_work_tasks() -> None:
    auditor = person(AUDITOR)
    assert allows(auditor, policy.READ_REPORTS) and allows(auditor, policy.DRAW_AUDIT_SAMPLE)
    assert not allows(auditor, policy.WORK_TASKS)


def test_staff_work_tasks_but_do_not_read_reports() -> None:
    assert allows(person(STAFF), policy.WORK_TASKS) and not allows(person(STAFF), policy.READ_REPORTS)


def test_only_admins_erase_personal_data() -> None:
    assert policy.roles_for(policy.ERASE_PERSONAL_DATA) == (ADMIN,)
    assert not any(policy.roles_allow([role], policy.ERASE_PERSONAL_DATA) for role in ROLES if role != ADMIN)


def test_roles_keep_the_order_the_403_message_names_them() -> None:
    assert policy.roles_for(policy.READ_COMPLAINTS) == (STAFF, SUPERVISOR, AUDITOR, PROCESS_OWNER)
    assert policy.roles_for(policy.READ_REPORTS) == (SUPERVISOR, AUDITOR, PROCESS_OWNER)


def test_an_unknown_permission_fails_loudly_even_for_an_admin() -> None:
    with pytest.raises(KeyError):
        allows(person(ADMIN), policy.Permission("read_everything"))

"""Demo users and complaints for ``bpmn-complaints demo`` (and ``make run``)."""

from sqlalchemy import select

from ..db import run_change
from ..exceptions import AppError
from ..extensions import db
from ..models import Complaint
from . import complaints
from .users import add_user

USERS = [
    # name, groups, roles, skills
    ("alice", ["intake"], ["staff"], []),
    ("ivan", ["investigators"], ["staff"], ["billing", "service"]),
    ("irene", ["investigators"], ["staff"], ["product", "safety"]),
    ("sam", ["supervisors", "investigators"], ["staff", "supervisor"], []),
    ("quinn", ["quality"], ["staff", "auditor"], []),
    ("paula", [], ["process_owner"], []),
    ("admin", [], ["admin"], []),
]

COMPLAINTS = [
    {"name": "Dana Example", "email": "dana@example.com", "product": "Home broadband",
     "category": "billing", "description": "I was charged twice for October.", "remedy_sought": "Refund"},
    {"name": "Lee Example", "email": "lee@example.com", "product": "Kettle K200", "category": "safety",
     "description": "The kettle's handle got very hot and burned my hand.", "remedy_sought": "Replacement"},
]


def seed():
    """Create the demo users (password = user name) and, once, the demo complaints."""
    for name, groups, roles, skills in USERS:
        run_change(add_user, name, groups, roles, password=name, email=f"{name}@example.com",
                   skills=skills, actor="demo")
        yield f"user {name}: groups {', '.join(groups) or '-'}; roles {', '.join(roles)} (password: {name})"
    if db.session.scalar(select(Complaint.id).limit(1)) is not None:
        yield "demo complaints already exist"
        return
    for data in COMPLAINTS:
        try:
            complaint, token = run_change(complaints.submit, data)
        except AppError as err:
            yield f"no demo complaints: {err.message}"
            return
        yield f"complaint {complaint.reference} (status token {token})"

"""Run a change as one transaction, retrying it when it loses an optimistic race."""

import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..exceptions import Conflict
from ..extensions import db

P = ParamSpec("P")
T = TypeVar("T")


def run_change(change: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Call ``change`` and commit. If the commit loses a race (another writer changed the
    same instance version, or took the same audit position), roll back and run the whole
    change again, up to ``CONFLICT_RETRIES`` times.

    ``change`` must load what it needs by id inside itself, so a retry sees fresh rows.

    :raises Conflict: when every attempt lost its race.
    """
    attempts: int = current_app.config["CONFLICT_RETRIES"]
    for attempt in range(1, attempts + 1):
        try:
            result = change(*args, **kwargs)
            db.session.commit()
            return result
        except (StaleDataError, IntegrityError):
            db.session.rollback()
            if attempt == attempts:
                break
            time.sleep(random.uniform(0, 0.01 * attempt))
        except BaseException:
            db.session.rollback()
            raise
    raise Conflict("someone else changed this at the same moment; please try again")

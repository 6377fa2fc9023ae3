"""The application's clock. Everything that asks "what time is it" goes through here, so
tests (and the demo) can move time forward without sleeping. Times are aware UTC."""

from datetime import UTC, datetime, timedelta

from flask import current_app


class Clock:
    """A clock that is the system clock until :meth:`set` freezes it."""

    def __init__(self) -> None:
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        return self._frozen if self._frozen is not None else datetime.now(UTC)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        self._frozen = moment.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        self.set(self.now() + timedelta(**delta))
        return self.now()

    def reset(self) -> None:
        self._frozen = None


def init_app(app) -> None:
    app.extensions["complaints_clock"] = Clock()


def get_clock() -> Clock:
    return current_app.extensions["complaints_clock"]


def utcnow() -> datetime:
    """The current time of the current app's clock."""
    return get_clock().now()

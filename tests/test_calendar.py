"""Business calendar: weekends, public holidays (via the holidays package), closures."""

from datetime import UTC, date, datetime, timedelta, timezone

import holidays
import pytest

from bpmn_complaints.business_calendar import BusinessCalendar

UTC = UTC


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


@pytest.fixture
def england() -> BusinessCalendar:
    return BusinessCalendar("GB", "ENG")


def test_holidays_package_agrees_with_our_assumptions():
    # The holiday tests below rely on these facts; check them at the source.
    christmas = holidays.country_holidays("GB", subdiv="ENG", years=2026)
    assert date(2026, 12, 25) in christmas and date(2026, 12, 25).weekday() == 4
    assert date(2026, 12, 28) in christmas and date(2026, 12, 28).weekday() == 0
    assert date(2026, 12, 24) not in christmas and date(2026, 12, 29) not in christmas


def test_weekdays_weekends_and_holidays(england):
    assert england.is_business_day(date(2026, 12, 18))  # Friday
    assert not england.is_business_day(date(2026, 12, 19))  # Saturday
    assert not england.is_business_day(date(2026, 12, 20))  # Sunday
    assert not england.is_business_day(date(2026, 12, 25))  # Christmas Day
    assert not england.is_business_day(date(2026, 12, 28))  # Boxing Day (observed)
    assert england.is_business_day(date(2026, 12, 29))


def test_add_across_a_weekend(england):
    assert england.add_business_days(at("2026-12-18"), 1) == at("2026-12-21")  # Fri + 1 = Mon
    assert england.add_business_days(at("2026-12-18"), 3) == at("2026-12-23")


def test_a_weekend_start_counts_from_monday(england):
    assert england.add_business_days(at("2026-12-19"), 1) == at("2026-12-21")  # Sat + 1
    assert england.add_business_days(at("2026-12-20"), 1) == at("2026-12-21")  # Sun + 1


def test_add_across_public_holidays(england):
    # Thu 24 Dec + 1 skips Christmas (Fri), the weekend and Boxing Day observed (Mon).
    assert england.add_business_days(at("2026-12-24", 16), 1) == at("2026-12-29", 16)


def test_without_a_country_only_weekends_are_skipped():
    assert BusinessCalendar().add_business_days(at("2026-12-24"), 1) == at("2026-12-25")


def test_subdivisions_have_their_own_holidays():
    # 30 November, St Andrew's Day, is a bank holiday in Scotland only.
    assert not BusinessCalendar("GB", "SCT").is_business_day(date(2026, 11, 30))
    assert BusinessCalendar("GB", "ENG").is_business_day(date(2026, 11, 30))


def test_closure_days(england):
    calendar = BusinessCalendar("GB", "ENG", closures=["2026-12-29", date(2026, 12, 30)])
    assert not calendar.is_business_day(date(2026, 12, 29))
    assert calendar.add_business_days(at("2026-12-24"), 1) == at("2026-12-31")
    assert england.add_business_days(at("2026-12-24"), 1) == at("2026-12-29")


def test_zero_returns_start_even_on_a_weekend(england):
    saturday = at("2026-12-19", 15)
    assert england.add_business_days(saturday, 0) == saturday


def test_negative_days_go_backwards(england):
    assert england.add_business_days(at("2026-12-21"), -1) == at("2026-12-18")
    assert england.add_business_days(at("2026-12-29"), -1) == at("2026-12-24")


def test_naive_means_utc_and_other_offsets_are_converted(england):
    result = england.add_business_days(datetime(2026, 12, 18, 10), 1)
    assert result == at("2026-12-21") and result.tzinfo == UTC
    paris = timezone(timedelta(hours=1))
    result = england.add_business_days(datetime(2026, 12, 18, 11, tzinfo=paris), 1)
    assert result == at("2026-12-21") and result.tzinfo == UTC


def test_iso_strings_are_accepted(england):
    assert england.add_business_days("2026-12-18T10:00:00Z", 1) == at("2026-12-21")


def test_between_counts_whole_business_days(england):
    friday = at("2026-12-18")
    assert england.business_days_between(friday, friday) == 0
    assert england.business_days_between(friday, at("2026-12-21", 9)) == 0
    assert england.business_days_between(friday, at("2026-12-21", 10)) == 1
    assert england.business_days_between(at("2026-12-24"), at("2026-12-29")) == 1
    assert england.business_days_between(at("2026-12-21"), friday) == -1


def test_between_is_the_inverse_of_add(england):
    start = at("2026-12-16", 13)
    for n in range(-30, 31):
        assert england.business_days_between(start, england.add_business_days(start, n)) == n


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"country": "XX"}, "unknown country 'XX'"),
        ({"country": "GB", "subdivision": "ZZ"}, "unknown subdivision 'ZZ' of GB; known: ENG, NIR, SCT, WLS"),
        ({"subdivision": "ENG"}, "subdivision 'ENG' needs a country"),
        ({"closures": ["2026-02-30"]}, "closure day '2026-02-30' is not an ISO 8601 date"),
    ],
)
def test_invalid_configuration(kwargs, message):
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)


def test_runaway_counts_are_refused(england):
    with pytest.raises(ValueError, match="limit 25,000"):
        england.add_business_days(at("2026-12-18"), 10**9)
    with pytest.raises(ValueError, match="too long"):
        england.business_days_between(at("1900-01-01"), at("2100-01-01"))


@pytest.mark.parametrize("country", ["SA", "IL"])
def test_the_weekend_comes_from_the_country(country):
    # Saudi Arabia and Israel rest on Friday and Saturday, so Sunday is a working day.
    calendar = BusinessCalendar(country)
    assert calendar.weekend == frozenset(holidays.country_holidays(country).weekend)
    thursday = at("2026-12-17")
    assert not calendar.is_business_day(date(2026, 12, 18))  # Friday
    assert not calendar.is_business_day(date(2026, 12, 19))  # Saturday
    assert calendar.is_business_day(date(2026, 12, 20)) or date(2026, 12, 20) in holidays.country_holidays(
        country, years=2026)  # Sunday works
    assert calendar.add_business_days(thursday, 1) == at("2026-12-20")
    assert calendar.business_days_between(thursday, at("2026-12-20")) == 1


def test_the_app_calendar_follows_the_configured_country(tmp_path):
    from bpmn_complaints import create_app
    from bpmn_complaints.business_calendar import business_calendar

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "CALENDAR_COUNTRY": "AE", "CALENDAR_SUBDIVISION": None,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'c.sqlite'}"})
    with app.app_context():
        # The United Arab Emirates moved to a Saturday-and-Sunday weekend in 2022.
        assert business_calendar().weekend == frozenset({5, 6})
        app.config["CALENDAR_COUNTRY"] = "SA"
        assert business_calendar().weekend == frozenset({4, 5})

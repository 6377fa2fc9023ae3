"""How fast full-text search over complaints answers at 100,000 complaints, on SQLite
(FTS5) and PostgreSQL (a GIN index on to_tsvector).

Seeding: complaints are bulk-inserted with generated names, emails, products and
descriptions drawn from word lists (so some words are common and some rare); the index
follows them as it does in production (FTS5 triggers, the GIN expression index). On
PostgreSQL the bench runs ANALYZE after the load.

Measured, in alternating rounds so noise falls on every case alike: the service's
search (``services.complaints.list_complaints(user, q=...)``: the page of 50 and its
total) for a rare surname, a common word, two words, a word start and a reference
fragment, as a supervisor who sees everything. The baseline is the same call without a
search (the newest page), measured in the same run; figures are printed as p50/p95 in ms
and as a ratio to it.

Run: .venv/bin/python bench/search.py [--complaints N] [--repeat N] [--pg [URL]]
PostgreSQL runs too when --pg is given or COMPLAINTS_BENCH_DATABASE_URL is set. Its public
schema is dropped first, so name a database of your own.
"""

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from scratch_db import DEFAULT_URL, fresh_schema, prepare
from sqlalchemy import insert, text

from bpmn_complaints import create_app
from bpmn_complaints.clock import utcnow
from bpmn_complaints.extensions import db
from bpmn_complaints.models import Complaint
from bpmn_complaints.models.search_index import reference_suffixes
from bpmn_complaints.services import complaints as service
from bpmn_complaints.services.users import add_user, get_user

FIRST = ["Dana", "Omar", "Aisha", "Tom", "Priya", "Lars", "Mei", "Jonas", "Fatima", "Ravi", "Elena", "Kofi"]
LAST = ["Example", "Qadir", "Smith", "Jones", "Novak", "Okafor", "Larsen", "Chen", "Garcia", "Patel"]
PRODUCTS = ["Broadband", "Mobile", "Home insurance", "Current account", "Electricity", "Gas", "Kettle"]
WORDS = ("charged twice refund engineer never arrived router bill late fee meter reading wrong contract "
         "cancelled roaming promised callback waited hours broken delivered damaged staff rude apology "
         "credit score letter sent wrong address payment missed interest overdraft").split()
CASES = {"rare surname": "Zebedee", "common word": "refund", "two words": "router refund",
         "word start": "overdr", "reference part": None}


def seed(app, count: int, rng: random.Random) -> str:
    """Insert ``count`` complaints; returns one reference to search a fragment of."""
    with app.app_context():
        add_user("sue", ["supervisors"], ["staff", "supervisor"])
        now = utcnow()
        batch = []
        for n in range(count):
            last = "Zebedee" if n % 5000 == 0 else rng.choice(LAST)
            first = rng.choice(FIRST)
            reference = f"C-2026-{n:06d}"
            batch.append({
                "reference": reference, "reference_suffixes": reference_suffixes(reference),
                "status_token_hash": "0" * 64, "name": f"{first} {last}",
                "email": f"{first.lower()}.{last.lower()}{n}@example.com", "product": rng.choice(PRODUCTS),
                "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 40))),
                "channel": "web", "received_at": now - timedelta(minutes=n), "status": "Received", "state": "open",
            })
            if len(batch) == 5000:
                db.session.execute(insert(Complaint), batch)
                batch = []
        if batch:
            db.session.execute(insert(Complaint), batch)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE complaints"))
            db.session.commit()
        return f"C-2026-{count // 2:06d}"


def measure(app, reference: str, repeat: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"baseline (no search)": [], **{name: [] for name in CASES}}
    with app.app_context():
        user = get_user("sue")
        queries = {"baseline (no search)": None, **CASES, "reference part": reference[-5:]}
        for _ in range(repeat):
            for name, q in queries.items():
                start = time.perf_counter()
                service.list_complaints(user, q=q, limit=50)
                timings[name].append((time.perf_counter() - start) * 1000)
                db.session.rollback()
    return timings


def report(label: str, timings: dict[str, list[float]]) -> None:
    base = statistics.median(timings["baseline (no search)"])
    print(f"\n{label}")
    print(f"  {'case':<22} {'p50 ms':>8} {'p95 ms':>8} {'x baseline':>11}")
    for name, values in timings.items():
        values = sorted(values)
        p50 = statistics.median(values)
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"  {name:<22} {p50:8.2f} {p95:8.2f} {p50 / base:11.2f}")


def run(url: str, label: str, count: int, repeat: int) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        fresh_schema(db)
    started = time.perf_counter()
    reference = seed(app, count, random.Random(7))
    print(f"{label}: {count:,} complaints seeded in {time.perf_counter() - started:.1f} s")
    report(f"{label}, {count:,} complaints, {repeat} rounds", measure(app, reference, repeat))
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--pg", nargs="?", const=DEFAULT_URL, default=os.environ.get("COMPLAINTS_BENCH_DATABASE_URL"),
                        help="also run on this PostgreSQL database (its public schema is dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{Path(folder) / 'search.sqlite'}", "SQLite (FTS5)", args.complaints, args.repeat)
    if args.pg:
        run(prepare(args.pg), "PostgreSQL (GIN)", args.complaints, args.repeat)


if __name__ == "__main__":
    main()

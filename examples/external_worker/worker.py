"""An external worker for the topic ``crm_lookup``: looks the complainant's customer up in
a (pretend) CRM and reports a score, a BPMN error ``not_found``, or a failure with retries.

    python worker.py --url http://127.0.0.1:5000 --token "$TOKEN" [--once]

The token is an integration account's: ``bpmn-complaints users add crm --role integration``
then ``bpmn-complaints token crm --topic crm_lookup``.
"""

from __future__ import annotations

import argparse
import sys

from external_tasks import ExternalTaskClient, ExternalTaskError

CUSTOMERS = {"Broadband": 9, "Mobile": 3}  # the pretend CRM: product -> customer value score
LOCK_MS = 30_000


def handle(client: ExternalTaskClient, task: dict) -> str:
    """Work one task; returns what was reported."""
    values = task["values"]
    product = values.get("product")
    if product is None:
        client.failure(task["id"], "the complaint names no product", retries=max((task["retries"] or 3) - 1, 0),
                       retry_timeout_ms=10_000)
        return "failure"
    if product not in CUSTOMERS:
        client.bpmn_error(task["id"], "not_found", f"no customer for {product}")
        return "bpmn-error"
    client.complete(task["id"], {"score": CUSTOMERS[product], "crm_id": f"CRM-{values['complaint_reference']}"})
    return "complete"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--worker-id", default="crm-worker")
    parser.add_argument("--once", action="store_true", help="work what is there now, then exit")
    args = parser.parse_args(argv)
    client = ExternalTaskClient(args.url, args.token, args.worker_id)
    while True:
        tasks = client.fetch_and_lock({"crm_lookup": LOCK_MS}, max_tasks=10, wait_ms=None if args.once else 20_000,
                                      variables=["product", "complaint_reference"])
        for task in tasks:
            try:
                print(f"{task['id']} {handle(client, task)}", flush=True)
            except ExternalTaskError as err:  # e.g. the lock expired and another worker took it
                print(f"{task['id']} refused: {err}", file=sys.stderr, flush=True)
        if args.once and not tasks:
            return 0


if __name__ == "__main__":
    sys.exit(main())

"""A small client for the bpmn-complaints external-task API (Camunda 7's REST shape), on the
standard library only: copy this file into any project.

    client = ExternalTaskClient("https://complaints.example.com", token, worker_id="crm-1")
    for task in client.fetch_and_lock({"crm_lookup": 60_000}, max_tasks=5, wait_ms=20_000):
        client.complete(task["id"], {"score": 7})
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class ExternalTaskError(RuntimeError):
    """The server refused a call; ``status`` and the API's error ``code`` say why."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code = status, code


class ExternalTaskClient:
    def __init__(self, base_url: str, token: str, worker_id: str, timeout: float = 60.0):
        self.base = base_url.rstrip("/") + "/api/external-tasks"
        self.token, self.worker_id, self.timeout = token, worker_id, timeout

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(
            f"{self.base}/{path}", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            error = json.loads(err.read() or b"{}").get("error", {})
            raise ExternalTaskError(err.code, error.get("code", ""), error.get("message", "")) from None
        return json.loads(raw) if raw else None

    def fetch_and_lock(self, topics: dict[str, int], max_tasks: int = 1, wait_ms: int | None = None,
                       variables: list[str] | None = None) -> list[dict[str, Any]]:
        """Lock up to ``max_tasks`` tasks of ``topics`` (topic name -> lock duration in ms);
        with ``wait_ms``, wait for one that long (the server bounds it)."""
        body: dict[str, Any] = {"workerId": self.worker_id, "maxTasks": max_tasks, "topics": [
            {"topicName": name, "lockDuration": ms, **({"variables": variables} if variables else {})}
            for name, ms in topics.items()]}
        if wait_ms is not None:
            body["asyncResponseTimeout"] = wait_ms
        tasks: list[dict[str, Any]] = self._post("fetch-and-lock", body)
        for task in tasks:  # plain values beside Camunda's typed ones
            task["values"] = {name: v.get("value") for name, v in task.get("variables", {}).items()}
        return tasks

    def complete(self, task_id: str, variables: dict[str, Any] | None = None) -> None:
        self._post(f"{task_id}/complete", {"workerId": self.worker_id, "variables": _typed(variables)})

    def failure(self, task_id: str, message: str, retries: int, retry_timeout_ms: int = 0,
                details: str | None = None) -> None:
        """Report a failed attempt; with ``retries`` 0 the task becomes an incident."""
        body: dict[str, Any] = {"workerId": self.worker_id, "errorMessage": message, "retries": retries,
                                "retryTimeout": retry_timeout_ms}
        if details is not None:
            body["errorDetails"] = details
        self._post(f"{task_id}/failure", body)

    def bpmn_error(self, task_id: str, code: str, message: str = "", variables: dict[str, Any] | None = None) -> None:
        self._post(f"{task_id}/bpmn-error", {"workerId": self.worker_id, "errorCode": code, "errorMessage": message,
                                             "variables": _typed(variables)})

    def extend_lock(self, task_id: str, new_duration_ms: int) -> None:
        self._post(f"{task_id}/extend-lock", {"workerId": self.worker_id, "newDuration": new_duration_ms})


def _typed(variables: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {name: {"value": value} for name, value in (variables or {}).items()}

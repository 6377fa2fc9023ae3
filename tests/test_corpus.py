"""Third-party diagrams (the OMG MIWG reference models in ../shared/bpmn-corpus) never end
in a traceback or a 500: each deploy succeeds or returns a clear problem list."""

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "bpmn-corpus" / "miwg"
FILES = sorted(CORPUS.glob("*.bpmn")) if CORPUS.is_dir() else []


@pytest.mark.skipif(not FILES, reason=f"the third-party corpus is not at {CORPUS}")
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_corpus_deploys_cleanly_or_explains(api):
    api.user("owner", roles=["process_owner"])
    outcomes = {}
    for path in FILES:
        response = api.post("/api/definitions", "owner", json={"files": {path.name: path.read_text()}})
        assert response.status_code in (200, 201, 400), (path.name, response.get_json())
        body = response.get_json()
        if response.status_code == 400:
            problems = body["error"]["details"]["problems"]
            assert problems, path.name
            for problem in problems:
                assert problem["message"] and "Traceback" not in problem["message"], (path.name, problem)
                assert problem["file"] in (path.name, None), (path.name, problem)
        outcomes[path.name] = response.status_code
    assert len(outcomes) == len(FILES)

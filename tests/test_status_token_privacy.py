"""The complainant's status token stays out of access logs and cookies (issue 15), and
`make run` signs with a random key of its own (issue 15, sessions and accounts)."""

import html
import os
import re
import stat
import subprocess
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from conftest import DIAGRAMS
from test_server import BIN, PROCESSES, free_port, http, wait_until_serving
from test_web_portal import FORM
from test_web_staff import Browser, add_user, text


def session_contents(app, browser) -> str:
    """What the session cookie says: signed, not encrypted, so anyone holding it reads it."""
    value = browser.client.get_cookie("session").value
    return repr(app.session_interface.get_signing_serializer(app).loads(value)) + value


def test_no_cookie_holds_the_token_or_the_code(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    portal = Browser(api.app)
    sent = portal.post("/complain", "/complain", FORM)
    assert sent.status_code == 302
    page = text(portal.get("/complain/received"))
    code = re.search(r'id="status-code">([^<]+)<', page).group(1)
    link = html.unescape(re.search(r'id="status-link" href="([^"]+)"', page).group(1))
    token = urllib.parse.parse_qs(link.partition("#")[2])["token"][0]
    kept = session_contents(api.app, portal)
    assert token not in kept and code not in kept and code.replace("-", "") not in kept
    # The status page and its forms and links carry no token either: the session opens them.
    status = text(portal.get(link.partition("#")[0]))
    assert "Your complaint" in status and token not in status
    # Staff recording a phone complaint: the code is read out from the page, not the cookie.
    add_user(api.runner, "alice", ["intake"])
    alice = Browser(api.app).login("alice")
    recorded = alice.post("/complaints/new", "/complaints/new", {**FORM, "channel": "phone"})
    assert recorded.status_code == 302, text(recorded)
    page = text(alice.get(recorded.headers["Location"]))
    code = re.search(r'id="status-code">([^<]+)<', page).group(1)
    kept = session_contents(api.app, alice)
    assert code not in kept and code.replace("-", "") not in kept
    # Another person's session does not open that recorded page.
    add_user(api.runner, "bob", ["intake"])
    bob = Browser(api.app).login("bob")
    bob.client.set_cookie("session", alice.client.get_cookie("session").value)
    assert code in text(bob.get("/complaints/new/recorded"))  # the same cookie is the same person
    assert "status-code" not in text(Browser(api.app).login("bob").get("/complaints/new/recorded"))


def test_an_old_link_with_the_token_in_the_query_still_opens_the_page(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    created = api.submit()
    page = Browser(api.app).get(f"/status/{created['reference']}?token={created['status_token']}")
    # The page's script takes the token out of the address bar.
    assert page.status_code == 200 and "/static/status.js" in text(page)
    assert "Your complaint" in text(page)
    assert Browser(api.app).get(f"/status/{created['reference']}").status_code == 401


def test_following_a_status_link_leaves_no_token_in_the_servers_access_log(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "COMPLAINTS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'log.sqlite'}",
           "COMPLAINTS_SECRET_KEY": "test-" + "k" * 40, "COMPLAINTS_PUBLIC_BASE_URL": base}
    for command in (["init-db"], ["deploy", str(PROCESSES)]):
        done = subprocess.run([str(BIN / "bpmn-complaints"), *command], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    log = tmp_path / "access.log"
    server = subprocess.Popen([str(BIN / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                               "--access-logfile", str(log), "bpmn_complaints.wsgi:app"],
                              env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(base, server)
        status, created = http("POST", f"{base}/api/complaints",
                               {"name": "Dana Example", "email": "dana@example.com", "description": "Twice."})
        assert status == 201, created
        link, token, code = created["status_url"], created["status_token"], created["status_code"]
        assert link.startswith(f"{base}/status/") and token in link
        # A browser sends the path only (never the fragment); the page's script posts the token.
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        try:
            browser.open(link.partition("#")[0], timeout=10)
        except urllib.error.HTTPError as err:
            assert err.code == 401
            form = err.read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        assert 'id="open-status"' in form
        body = urllib.parse.urlencode({"csrf_token": csrf, "token": token}).encode()
        with browser.open(urllib.request.Request(link.partition("#")[0], data=body), timeout=10) as page:
            assert f"Your complaint {created['reference']}" in page.read().decode()
        status, public = http("GET", f"{base}/api/complaints/{created['reference']}?token=wrong")
        assert status == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text()
    assert f"/status/{created['reference']}" in written  # the log is there, and has the requests
    assert token not in written and code not in written and code.replace("-", "") not in written


def test_make_run_writes_a_random_key_once_and_every_process_uses_it(tmp_path):
    folder = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if k != "COMPLAINTS_SECRET_KEY"}
    env.update(COMPLAINTS_INSTANCE_PATH=str(folder),
               COMPLAINTS_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'k.db'}")

    def run(*args):
        done = subprocess.run([str(BIN / "bpmn-complaints"), *args], env=env, capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    probe = ("from bpmn_complaints import create_app; from bpmn_complaints.security import weak_secret_key; "
             "key = create_app().config['SECRET_KEY']; print(key, weak_secret_key(key))")

    def key_in_use():
        done = subprocess.run([str(BIN / "python"), "-c", probe], env=env, capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert key_in_use()[1:] != ["None"]  # no key yet: the weak default
    assert "wrote a new secret key" in run("secret-key")
    key_file = folder / "secret_key"
    key = key_file.read_text().strip()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert "keeping the secret key" in run("secret-key") and key_file.read_text().strip() == key
    assert key_in_use() == [key, "None"]  # strong, and the same in every process
    env["COMPLAINTS_SECRET_KEY"] = "x" * 40  # a configured key wins
    assert key_in_use() == ["x" * 40, "None"]
    makefile = (Path(__file__).parents[1] / "Makefile").read_text()
    assert re.search(r"^db: .*secret-key", makefile, re.M) and re.search(r"^run: demo-data", makefile, re.M)


def test_the_api_takes_the_status_token_in_a_header_too(api):
    assert api.deploy(DIAGRAMS / "simple").exit_code == 0
    created = api.submit()
    ref = created["reference"]
    for credential in (created["status_token"], created["status_code"]):
        seen = api.client.get(f"/api/complaints/{ref}", headers={"X-Status-Token": credential})
        assert seen.status_code == 200 and seen.get_json()["reference"] == ref
    assert api.client.get(f"/api/complaints/{ref}", headers={"X-Status-Token": "wrong"}).status_code == 404
    assert api.client.get(f"/api/complaints/{ref}", headers={"X-Status-Token": "a\x00b"}).status_code == 400
    operation = api.client.get("/api/openapi.json").get_json()["paths"]["/api/complaints/{reference}"]["get"]
    assert "X-Status-Token" in [p["name"] for p in operation["parameters"]]


def test_the_development_servers_log_redacts_a_token_an_old_link_carries(tmp_path):
    port = free_port()
    env = {**os.environ, "COMPLAINTS_SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.sqlite'}",
           "COMPLAINTS_SECRET_KEY": "test"}
    subprocess.run([str(BIN / "bpmn-complaints"), "init-db"], env=env, cwd=tmp_path, capture_output=True,
                   timeout=120, check=True)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([str(BIN / "bpmn-complaints"), "serve", "--port", str(port)], env=env,
                                  cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}", server)
        for path in ("/status/C-2026-AAAAAA?token=s3cret-token-value", "/feedback/C-2026-AAAAAA?sig=s3cret-sig"):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10)
            except urllib.error.HTTPError as err:
                assert err.code in (401, 404)
    finally:
        server.terminate()
        server.wait(timeout=30)
    written = log.read_text()
    assert "GET /status/C-2026-AAAAAA?token=[redacted]" in written and "sig=[redacted]" in written, written
    assert "s3cret" not in written

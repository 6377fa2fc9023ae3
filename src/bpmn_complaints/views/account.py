"""One's own page: the email address staff notifications go to, which kinds to get, and
one's own API tokens (make one, see when each was last used, revoke one)."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from ..db import run_change
from ..policy import MANAGE_OWN_SETTINGS
from ..schemas.staff_actions import AccountSettings, NewToken
from ..services import users
from ..services.notifications import KINDS
from .auth import me, staff_required

bp = Blueprint("account_pages", __name__, url_prefix="/me")


@bp.route("", methods=["GET", "POST"])
@staff_required(MANAGE_OWN_SETTINGS)
def settings():
    user = me()
    if request.method == "POST":
        try:
            form = AccountSettings().load({"email": request.form.get("email", "").strip() or None})
        except ValidationError as err:
            flash(f"Nothing was saved: {' '.join(err.normalized_messages().get('email', []))}", "error")
            return redirect(url_for("account_pages.settings"))
        chosen = {kind: kind in request.form.getlist("kinds") for kind in KINDS}
        run_change(users.update_settings, user.name, form["email"], chosen)
        flash("Your settings are saved.", "success")
        return redirect(url_for("account_pages.settings"))
    return _page(user)


def _page(user, new_token: str | None = None, status: int = 200):
    prefs = user.notification_prefs or {}
    tokens = [(row, users.token_state(row)) for row in users.list_tokens(user.name)]
    return render_template("account.html", user=user, kinds=KINDS, chosen={k: prefs.get(k, True) for k in KINDS},
                           tokens=tokens, new_token=new_token,
                           default_days=current_app.config["TOKEN_EXPIRY_DAYS"]), status


@bp.route("/tokens", methods=["POST"])
@staff_required(MANAGE_OWN_SETTINGS)
def new_token():
    """Make an API token for oneself. The page shows it once, in this answer only: never in a
    redirect's flash message, which would keep it in the session cookie."""
    user = me()
    try:
        form = NewToken().load({k: v for k, v in request.form.items() if k in ("label", "days") and v.strip()})
    except ValidationError:
        flash("No token was made: a lifetime is 1 to 3650 days, a label up to 80 characters.", "error")
        return redirect(url_for("account_pages.settings"))
    token = run_change(users.issue_token, user.name, user.name, form["label"], form["days"])
    return _page(me(), new_token=token)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@staff_required(MANAGE_OWN_SETTINGS)
def revoke_token(token_id):
    """Revoke one of one's own tokens; another person's is a 404."""
    name = me().name
    run_change(users.revoke_token, token_id, name, owner=name)
    flash("The token is revoked; it no longer opens the API.", "success")
    return redirect(url_for("account_pages.settings") + "#tokens")

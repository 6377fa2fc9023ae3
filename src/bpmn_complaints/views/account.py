"""One's own page: the email address staff notifications go to, and which kinds to get."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from ..db import run_change
from ..policy import MANAGE_OWN_SETTINGS
from ..schemas.staff_actions import AccountSettings
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
    prefs = user.notification_prefs or {}
    return render_template("account.html", user=user, kinds=KINDS, chosen={k: prefs.get(k, True) for k in KINDS})

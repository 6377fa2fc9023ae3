"""Browser libraries that ``make browser-deps`` installs with npm into web/node_modules,
and the editor bundle it builds from them with esbuild into web/build (gitignored), served
from there so no bundle is ever copied into the repository."""

from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("vendor", __name__, url_prefix="/vendor")
# Only the built bundles and their CSS/fonts, never the whole node_modules tree.
PACKAGES = {"bpmn-js": ("node_modules", "bpmn-js", "dist"), "editor": ("build",)}


def package_dir(package: str) -> Path:
    static = current_app.static_folder
    assert static is not None, "create_app sets the static folder"
    return Path(static).parent.joinpath(*PACKAGES[package])


def available(package: str) -> bool:
    return package_dir(package).is_dir()


@bp.route("/<package>/<path:filename>")
def asset(package, filename):
    if package not in PACKAGES or not available(package):
        abort(404)
    return send_from_directory(package_dir(package), filename, max_age=86400)

"""A flask-smorest Blueprint whose argument errors are 400, like every other input error, and
that documents ``json_or_form`` arguments (JSON, or the fields of a multipart form with files)."""

from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = _Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**SmorestBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "json_or_form": "application/json"}

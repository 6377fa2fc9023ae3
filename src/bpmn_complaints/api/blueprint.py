"""A flask-smorest Blueprint whose argument errors are 400, like every other input error, and
that documents ``json_or_form`` arguments (JSON, or the fields of a multipart form with files).

The OpenAPI document says what is sent: every error response has the one error shape
(``schemas.resources.Error``), and each operation's security is what ``policy.ROUTES``
declares for it (none for a public route, optional where a status token also opens it).
"""

from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser

from ..policy import ROUTES
from ..schemas.resources import Error

BEARER: dict[str, list[str]] = {"bearerAuth": []}


class Api(SmorestApi):
    ERROR_SCHEMA = Error


class _Parser(FlaskParser):
    DEFAULT_VALIDATION_STATUS = 400


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = _Parser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {**SmorestBlueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
                                             "json_or_form": "application/json"}

    def _store_endpoint_docs(self, endpoint, obj, parameters, tags, **options):
        super()._store_endpoint_docs(endpoint, obj, parameters, tags, **options)
        access = ROUTES.get(f"{self.name}.{endpoint}")
        for method, doc in self._docs[endpoint].items():
            if method == "parameters":
                continue
            for code, responses in doc.get("response", {}).get("responses", {}).items():
                if int(code) >= 400:
                    for response in responses:
                        response.setdefault("schema", Error)
            if access is not None and access.permission is None:
                security = [] if not access.complainant else [{}]
            elif access is not None and access.complainant:
                security = [{}, BEARER]  # the status token (a parameter) or a bearer token
            else:
                security = [BEARER]
            doc.setdefault("manual_doc", {}).setdefault("security", security)

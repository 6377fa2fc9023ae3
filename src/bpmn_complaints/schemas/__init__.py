"""Marshmallow schemas: what the API, the web pages and the CLI accept and return."""

"""Service functions: the one code path for every rule, shared by the API, the web pages,
the CLI and the worker."""

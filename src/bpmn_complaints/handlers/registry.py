"""Where handler names are bound to functions.

Built-in handlers register with the :func:`handler` decorator; other packages declare an
entry point in the group ``bpmn_complaints.handlers``::

    [project.entry-points."bpmn_complaints.handlers"]
    crm_update = "acme_crm.handlers:crm_update"

Both paths end in the same :class:`HandlerRegistry`. A duplicate name or an entry point
that fails to load is an error that names the plugin; it is never silently skipped.
"""

import inspect
import re
from collections.abc import Callable, Iterable, Mapping
from importlib import import_module, metadata
from typing import Any

from .spec import OPTIONS_ATTRIBUTE, HandlerFunc, HandlerOptions, options_of

ENTRY_POINT_GROUP = "bpmn_complaints.handlers"
_BUILTIN_MODULES = ("acknowledge", "assign_investigator", "close_complaint", "deliver_response",
                    "escalate", "notify", "request_feedback")
_builtins: dict[str, HandlerFunc] = {}


class HandlerRegistrationError(RuntimeError):
    """A handler could not be registered (duplicate name, broken plugin, not callable)."""


def handler(name: str, inline: bool = False, timeout: float | None = None,
            personal_data: bool = False) -> Callable[[HandlerFunc], HandlerFunc]:
    """Register a built-in handler under ``name``; ``inline`` and ``timeout`` as in
    :class:`~.spec.HandlerOptions`.

    :raises HandlerRegistrationError: if the name is already taken.
    """

    def decorate(func: HandlerFunc) -> HandlerFunc:
        if name in _builtins and _builtins[name] is not func:
            raise HandlerRegistrationError(f"handler {name!r} is registered twice ({func.__module__})")
        _builtins[name] = func
        if inline or timeout is not None or personal_data:
            setattr(func, OPTIONS_ATTRIBUTE, HandlerOptions(inline=inline, timeout=timeout,
                                                            personal_data=personal_data))
        return func

    return decorate


class HandlerRegistry:
    """The handlers one application knows: built-ins, then entry points."""

    def __init__(self) -> None:
        self._handlers: dict[str, HandlerFunc] = {}
        self._origins: dict[str, str] = {}
        self._plugins: dict[str, str] = {}
        self.blocked: dict[str, str] = {}  # handler name -> the plugin an operator blocked

    def register(self, name: str, func: HandlerFunc, origin: str = "code", plugin: str | None = None) -> None:
        """Bind ``name`` to ``func``; ``plugin`` is the distribution it came from (it names
        the handler's configuration keys).

        :raises HandlerRegistrationError: on a duplicate name, a non-callable, or a
            signature that does not take exactly one context argument.
        """
        if not callable(func):
            raise HandlerRegistrationError(f"handler {name!r} from {origin} is not callable")
        check_signature(name, func, origin)
        if name in self._handlers:
            raise HandlerRegistrationError(
                f"handler {name!r} from {origin} clashes with the one from {self._origins[name]}"
            )
        self._handlers[name] = func
        self._origins[name] = origin
        if plugin:
            self._plugins[name] = plugin

    def get(self, name: str) -> HandlerFunc | None:
        return self._handlers.get(name)

    def options(self, name: str) -> HandlerOptions:
        """How the handler ``name`` runs (the defaults for an unknown name)."""
        func = self._handlers.get(name)
        return options_of(func) if func is not None else HandlerOptions()

    def names(self) -> set[str]:
        return set(self._handlers)

    def origin(self, name: str) -> str | None:
        return self._origins.get(name)

    def plugin(self, name: str) -> str | None:
        """The distribution handler ``name`` came from (``None`` for built-ins and code)."""
        return self._plugins.get(name)


def check_signature(name: str, func: HandlerFunc, origin: str) -> None:
    """A handler takes one positional argument, the context, as pluggy checks a hook's
    arguments at registration rather than at the first call.

    :raises HandlerRegistrationError: naming the handler and where it came from.
    """
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return  # a builtin or C callable: nothing to read
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in parameters if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    takes_one = (len(positional) >= 1 or any(p.kind == p.VAR_POSITIONAL for p in parameters)) and (
        len(required) <= 1 and all(p.kind != p.KEYWORD_ONLY for p in required))
    if not takes_one:
        raise HandlerRegistrationError(
            f"handler {name!r} from {origin} must take one argument, the HandlerContext: it is "
            f"{getattr(func, '__qualname__', func)!s}{inspect.signature(func)}")


def plugin_config(config: Mapping[str, Any], plugin: str | None) -> dict[str, Any]:
    """The ``PLUGIN_<NAME>_*`` keys of ``config`` (``COMPLAINTS_PLUGIN_<NAME>_*`` in the
    environment) for ``plugin``, without the prefix."""
    if not plugin:
        return {}
    prefix = "PLUGIN_" + re.sub(r"[^A-Z0-9]+", "_", plugin.upper()).strip("_") + "_"
    return {key[len(prefix):]: value for key, value in config.items() if key.startswith(prefix)}


def build_registry(blocked: Iterable[str] = ()) -> HandlerRegistry:
    """A registry with every built-in handler and every installed plugin handler, except
    those of the distributions in ``blocked`` (the operator's ``BLOCKED_PLUGINS``), which
    are not even imported.

    :raises HandlerRegistrationError: if a plugin fails to load or clashes.
    """
    refused = {_normal(name) for name in blocked}
    for module in _BUILTIN_MODULES:
        import_module(f"{__package__}.{module}")
    registry = HandlerRegistry()
    for name, func in sorted(_builtins.items()):
        registry.register(name, func, origin=f"built-in {func.__module__}")
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else "unknown distribution"
        if _normal(dist) in refused:
            registry.blocked[ep.name] = dist
            continue
        try:
            func = ep.load()
        except Exception as err:  # any import failure must name the plugin, then stop
            raise HandlerRegistrationError(
                f"handler {ep.name!r} from {dist} ({ep.value}) failed to load: {err}"
            ) from err
        registry.register(ep.name, func, origin=f"{dist} ({ep.value})", plugin=dist)
    return registry


def _normal(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()

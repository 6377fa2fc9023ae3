"""Where handler names are bound to functions.

Built-in handlers register with the :func:`handler` decorator; other packages declare an
entry point in the group ``bpmn_complaints.handlers``::

    [project.entry-points."bpmn_complaints.handlers"]
    crm_update = "acme_crm.handlers:crm_update"

Both paths end in the same :class:`HandlerRegistry`. A duplicate name or an entry point
that fails to load is an error that names the plugin; it is never silently skipped.
"""

from collections.abc import Callable
from importlib import import_module, metadata

from .spec import OPTIONS_ATTRIBUTE, HandlerFunc, HandlerOptions, options_of

ENTRY_POINT_GROUP = "bpmn_complaints.handlers"
_BUILTIN_MODULES = ("acknowledge", "assign_investigator", "close_complaint", "deliver_response",
                    "escalate", "notify", "request_feedback")
_builtins: dict[str, HandlerFunc] = {}


class HandlerRegistrationError(RuntimeError):
    """A handler could not be registered (duplicate name, broken plugin, not callable)."""


def handler(name: str, inline: bool = False, timeout: float | None = None) -> Callable[[HandlerFunc], HandlerFunc]:
    """Register a built-in handler under ``name``; ``inline`` and ``timeout`` as in
    :class:`~.spec.HandlerOptions`.

    :raises HandlerRegistrationError: if the name is already taken.
    """

    def decorate(func: HandlerFunc) -> HandlerFunc:
        if name in _builtins and _builtins[name] is not func:
            raise HandlerRegistrationError(f"handler {name!r} is registered twice ({func.__module__})")
        _builtins[name] = func
        if inline or timeout is not None:
            setattr(func, OPTIONS_ATTRIBUTE, HandlerOptions(inline=inline, timeout=timeout))
        return func

    return decorate


class HandlerRegistry:
    """The handlers one application knows: built-ins, then entry points."""

    def __init__(self) -> None:
        self._handlers: dict[str, HandlerFunc] = {}
        self._origins: dict[str, str] = {}

    def register(self, name: str, func: HandlerFunc, origin: str = "code") -> None:
        """Bind ``name`` to ``func``.

        :raises HandlerRegistrationError: on a duplicate name or a non-callable.
        """
        if not callable(func):
            raise HandlerRegistrationError(f"handler {name!r} from {origin} is not callable")
        if name in self._handlers:
            raise HandlerRegistrationError(
                f"handler {name!r} from {origin} clashes with the one from {self._origins[name]}"
            )
        self._handlers[name] = func
        self._origins[name] = origin

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


def build_registry() -> HandlerRegistry:
    """A registry with every built-in handler and every installed plugin handler.

    :raises HandlerRegistrationError: if a plugin fails to load or clashes.
    """
    for module in _BUILTIN_MODULES:
        import_module(f"{__package__}.{module}")
    registry = HandlerRegistry()
    for name, func in sorted(_builtins.items()):
        registry.register(name, func, origin=f"built-in {func.__module__}")
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else "unknown distribution"
        try:
            func = ep.load()
        except Exception as err:  # any import failure must name the plugin, then stop
            raise HandlerRegistrationError(
                f"handler {ep.name!r} from {dist} ({ep.value}) failed to load: {err}"
            ) from err
        registry.register(ep.name, func, origin=f"{dist} ({ep.value})")
    return registry

"""Home-page panels: each app registers a function that returns a panel for a user, or None."""

from collections.abc import Callable

# A panel provider takes the signed-in user and returns {"template": ..., ...context} or None.
PanelProvider = Callable[[object], dict | None]
_PROVIDERS: list[PanelProvider] = []


def register_panel(provider: PanelProvider) -> PanelProvider:
    """Decorator for an app's `home_panel(user)`; called from the app's `ready()`."""
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)
    return provider


def panels_for(user) -> list[dict]:
    return [panel for provider in _PROVIDERS if (panel := provider(user)) is not None]

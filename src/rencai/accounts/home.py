"""Home-page panels: each app registers a function that returns a panel for a user, or None."""

from collections.abc import Callable

# A panel provider takes the signed-in user and returns {"template": ..., ...context} or None.
PanelProvider = Callable[[object], dict | None]
_PROVIDERS: list[tuple[int, PanelProvider]] = []

# Panels show in ascending `order`, then in the order the apps registered them (INSTALLED_APPS order).
# The work waiting for the user (a department's queue, a provider's counter, a talent's gold card) leads;
# then the registry's counts, above the notices and the other apps' panels.
LEADING = -10
FIRST = 0
DEFAULT_ORDER = 100


def register_panel(provider: PanelProvider, *, order: int = DEFAULT_ORDER) -> PanelProvider:
    """Register an app's `home_panel(user)`; called from the app's `ready()`."""
    if all(registered is not provider for _, registered in _PROVIDERS):
        _PROVIDERS.append((order, provider))
        _PROVIDERS.sort(key=lambda entry: entry[0])  # stable: equal orders keep registration order
    return provider


def panels_for(user) -> list[dict]:
    return [panel for _, provider in _PROVIDERS if (panel := provider(user)) is not None]

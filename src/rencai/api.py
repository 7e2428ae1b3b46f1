"""The one NinjaAPI: token authentication, domain errors as JSON, each app's router mounted."""

from ninja import NinjaAPI

from rencai.accounts.auth import SessionOrTokenAuth
from rencai.core.errors import DomainError

api = NinjaAPI(
    title="Rencai API",
    version="1",
    description="衢州市人才工作平台 API / Quzhou talent-work platform API",
    auth=SessionOrTokenAuth(),
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


def _mount() -> None:
    from rencai.onestop.api import router as onestop_router
    from rencai.policies.api import router as policies_router
    from rencai.registry.api import router as registry_router

    api.add_router("/registry/", registry_router)
    api.add_router("/policies/", policies_router)
    api.add_router("/", onestop_router)  # /api/services/…, /api/cards/verify


_mount()

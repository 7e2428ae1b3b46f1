"""Who may see and do what: the one place where roles turn into scopes and rights.

Every selector calls `visible_to(user, queryset)`; views and the API never filter by hand.
A model says how it belongs to places, enterprises and persons through a `Tenancy` on the class.
"""

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet


@dataclass(frozen=True)
class Tenancy:
    """Paths from a model to its region, its enterprise and its person (None: not reachable that way)."""

    region: str | None = "region"
    enterprise: str | None = None
    person: str | None = None
    # Rows issued by a region apply below it (a city policy applies in every county): anyone whose home
    # region lies below sees them, besides officers who see their own subtree.
    applies_downward: bool = False


@dataclass(frozen=True)
class RoleRights:
    scope: str  # "all", "region", "enterprise", "self", "none"
    reveal_personal_data: bool = False
    import_registry: bool = False
    export: bool = False
    edit_registry: bool = False


ROLE_RIGHTS: dict[str, RoleRights] = {
    "city_org_dept": RoleRights(
        "region", reveal_personal_data=True, import_registry=True, export=True, edit_registry=True
    ),
    "county_org_dept": RoleRights(
        "region", reveal_personal_data=True, import_registry=True, export=True, edit_registry=True
    ),
    "department": RoleRights("region", export=True),
    "enterprise": RoleRights("enterprise", export=True),
    "talent": RoleRights("self", reveal_personal_data=True),
    "reviewer": RoleRights("none"),
    "provider": RoleRights("none"),
    "intermediary": RoleRights("none"),
}
NO_RIGHTS = RoleRights("none")


def rights_of(user) -> RoleRights:
    if user is None or not user.is_authenticated:
        return NO_RIGHTS
    if user.is_superuser:
        return RoleRights(
            "all", reveal_personal_data=True, import_registry=True, export=True, edit_registry=True
        )
    return ROLE_RIGHTS.get(user.role, NO_RIGHTS)


def tenancy_of(model: type[Model]) -> Tenancy:
    tenancy = getattr(model, "tenancy", None)
    if tenancy is None:
        raise TypeError(f"{model.__name__} declares no tenancy; it cannot be scoped")
    return tenancy


def region_subtree_ids(region_id: int) -> list[int]:
    """The region and every region below it (a handful of rows; filtering by id avoids a join)."""
    from rencai.core.models import Region

    path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first()
    if path is None:
        return []
    return list(Region.objects.filter(path__startswith=path).values_list("pk", flat=True))


def region_ancestor_ids(region_id: int) -> list[int]:
    """The region and every region above it."""
    from rencai.core.models import Region

    path = Region.objects.filter(pk=region_id).values_list("path", flat=True).first()
    if path is None:
        return []
    codes = [code for code in path.split("/") if code]
    return list(Region.objects.filter(code__in=codes).values_list("pk", flat=True))


def home_region_id(user) -> int | None:
    """Where a user belongs: an officer's region, an enterprise's region, a talent's region."""
    if user.region_id:
        return user.region_id
    if user.enterprise_id:
        return user.enterprise.region_id
    talent = getattr(user, "talent", None) if user.role == "talent" else None
    return talent.region_id if talent is not None else None


def scope_filter(user, model: type[Model]) -> Q | None:
    """The Q that limits `model` to what `user` may see; None means nothing at all."""
    rights = rights_of(user)
    tenancy = tenancy_of(model)
    if rights.scope == "all":
        return Q()
    if tenancy.applies_downward and tenancy.region:
        home = home_region_id(user)
        inherited = Q(**{f"{tenancy.region}__in": region_ancestor_ids(home)}) if home else None
        if rights.scope == "region" and user.region_id:
            return inherited | Q(**{f"{tenancy.region}__in": region_subtree_ids(user.region_id)})
        return inherited
    if rights.scope == "region" and tenancy.region and user.region_id:
        return Q(**{f"{tenancy.region}__in": region_subtree_ids(user.region_id)})
    if rights.scope == "enterprise" and tenancy.enterprise and user.enterprise_id:
        return Q(**{tenancy.enterprise: user.enterprise_id})
    if rights.scope == "self" and tenancy.person:
        return Q(**{tenancy.person: user.pk})
    return None


def visible_to(user, queryset: QuerySet) -> QuerySet:
    condition = scope_filter(user, queryset.model)
    if condition is None:
        return queryset.none()
    return queryset.filter(condition) if condition else queryset


def can_see(user, obj: Model) -> bool:
    return visible_to(user, type(obj)._default_manager.filter(pk=obj.pk)).exists()


def can_reveal_personal_data(user, obj: Model) -> bool:
    return rights_of(user).reveal_personal_data and can_see(user, obj)

"""Path and query parameter types shared by the routers."""

from typing import Annotated

from fastapi import Path, Request
from fastapi.dependencies.models import Dependant
from pydantic import BaseModel

from app.errors import Invalid

# Ids are 32-bit in the database; a larger number cannot name a record (422, not a 500).
RecordId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def only_known_query_parameters(request: Request) -> None:
    """Refuses a query parameter the route does not take: a misspelt filter (`?regoin=64.02`)
    would otherwise be ignored, and the answer would hold the whole country."""
    route = request.scope["route"]
    # Keyed by identity: routes compare by value and are not hashable.
    known: dict[int, frozenset[str]] = request.app.state.__dict__.setdefault("query_names", {})
    if id(route) not in known:
        known[id(route)] = _query_names(route.dependant)
    unknown = [name for name in request.query_params if name not in known[id(route)]]
    if unknown:
        takes = ", ".join(sorted(known[id(route)])) or "none"
        raise Invalid(
            "unknown query parameter {unknown}; this operation takes: {takes}",
            errors=[
                {"loc": ["query", name], "msg": "unknown parameter", "type": "extra_forbidden"}
                for name in unknown
            ],
            params={"unknown": ", ".join(unknown), "takes": takes},
        )


def _query_names(dependant: Dependant) -> frozenset[str]:
    names: set[str] = set()
    for field in dependant.query_params:
        model = field.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a filter model's fields
            names |= {info.alias or name for name, info in model.model_fields.items()}
        else:
            names.add(field.alias)
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)

"""The API's documents, Swagger UI at `/docs` and ReDoc at `/redoc`, from files the service
serves itself (`app/web/static/vendor`), so that they work on a LAN without internet."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.http.json_bodies import StrictJSONRoute
from app.web.rendering import templates

router = APIRouter(include_in_schema=False, route_class=StrictJSONRoute)


@router.get("/docs")
async def swagger_ui(request: Request) -> Response:
    return templates.TemplateResponse(request, "api_docs.html", {"viewer": "swagger"})


@router.get("/redoc")
async def redoc(request: Request) -> Response:
    return templates.TemplateResponse(request, "api_docs.html", {"viewer": "redoc"})

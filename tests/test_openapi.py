"""OpenAPI at /schema: the machine-readable description of the kernel's API."""

from __future__ import annotations

KERNEL_PATHS = {
    "/health": {"get"},
    "/api/communities": {"get", "post"},
    "/api/communities/{slug}": {"get", "patch"},
    "/api/communities/{slug}/scenarios": {"get"},
    "/api/communities/{slug}/scenarios/{scenario}": {"put", "delete"},
    "/api/communities/{slug}/grids": {"get", "post"},
    "/api/grids/{grid_id}/buildings": {"get", "post"},
    "/api/buildings/{building_id}/households": {"get", "post"},
    "/api/residents": {"get", "post"},
    "/api/residents/{resident_id}": {"get", "patch", "delete"},
    "/api/residents/{resident_id}/move": {"post"},
    "/api/departments": {"get", "post"},
    "/api/plugins": {"get"},
}


async def test_schema_is_openapi_json_listing_the_kernel_paths(meihao_client):
    response = await meihao_client.get("/schema")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/")
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "meihao 美好"
    for path, methods in KERNEL_PATHS.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    assert (await meihao_client.get("/schema/openapi.json")).json() == schema


async def test_schema_describes_the_resident_filters_and_shapes(meihao_client):
    schema = (await meihao_client.get("/schema")).json()
    listing = schema["paths"]["/api/residents"]["get"]
    query = {p["name"] for p in listing["parameters"] if p["in"] == "query"}
    assert {"community", "grid", "building", "household", "tag", "min_age", "max_age", "name", "page", "page_size"} <= query

    components = schema["components"]["schemas"]
    resident_in = next(v for k, v in components.items() if k.endswith("ResidentIn"))
    assert set(resident_in["required"]) == {"household_id", "name", "gender", "birth_date", "id_card"}
    resident_out = next(v for k, v in components.items() if k.endswith("ResidentOut"))
    assert {"id_card", "phone", "age", "tags", "community"} <= set(resident_out["properties"])


async def test_a_documentation_page_is_served_too(meihao_client):
    response = await meihao_client.get("/schema/swagger")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")

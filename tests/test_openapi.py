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


#: Every status each route lists (issue 11, fuzzing): the kernel's rules in meihao.web.responses, read by a person.
ANSWERS = {
    ("get", "/health"): ["200", "400"],  # public: no 401
    ("post", "/api/auth/login"): ["200", "400", "401", "429"],  # its own 401 (a wrong password) and 429
    ("get", "/api/auth/me"): ["200", "400", "401"],
    ("get", "/api/communities"): ["200", "400", "401"],
    ("patch", "/api/communities/{slug}"): ["200", "400", "401", "403", "404", "409"],  # a community in the path: 403
    ("get", "/api/residents"): ["200", "400", "401", "403", "404"],  # ?community= and ?grid= name records: 404
    ("post", "/api/residents"): ["201", "400", "401", "403", "404", "409"],  # household_id in the body: 404
    ("get", "/api/working-calendar"): ["200", "400", "401"],
    ("get", "/api/calendar/{token}"): ["200", "400", "404"],  # public, a secret link in the path
    ("post", "/api/reminders/unsubscribe/{token}"): ["200", "400", "404"],  # a public write conflicts with nothing
    ("get", "/api/communities/{slug}/markets/markets"): ["200", "400", "401", "403", "404"],  # a scene's guard
    ("post", "/api/communities/{slug}/markets/markets"): ["201", "400", "401", "403", "404", "409"],
    # a read that a day's state can refuse: the statement (公示) of a day not yet held (found by schemathesis)
    ("get", "/api/communities/{slug}/markets/days/{day_id}/statement"): ["200", "400", "401", "403", "404", "409"],
    # an unreadable file is the kernel's 400; a readable one with wrong rows is 422 with the import report
    ("post", "/api/communities/{slug}/residents/import"): ["200", "400", "401", "403", "404", "409", "422"],
}


async def test_every_route_lists_the_errors_it_can_answer_with_the_kernels_error_body(meihao_client):
    schema = (await meihao_client.get("/schema")).json()
    for (method, path), statuses in ANSWERS.items():
        responses = schema["paths"][path][method]["responses"]
        assert sorted(responses) == statuses, (method, path)
        for status in statuses:
            if status >= "400" and status != "422":
                assert responses[status]["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    assert schema["paths"]["/api/auth/login"]["post"]["responses"]["429"]["description"] == "Too many attempts: wait the seconds given in Retry-After"
    error = schema["components"]["schemas"]["ErrorOut"]
    assert (sorted(error["required"]), sorted(error["properties"])) == (["detail", "status_code"], ["detail", "extra", "field", "status_code"])
    for method, operations in ((m, o) for item in schema["paths"].values() for m, o in item.items()):
        assert "400" in operations["responses"], (method, operations["operationId"])  # every route, plugins' too


async def test_figures_are_numbers_and_feeds_and_exports_say_their_media_type(meihao_client):
    schema = (await meihao_client.get("/schema")).json()
    # an integer figure is a number (a oneOf of number and integer refused every integer: both matched)
    assert schema["components"]["schemas"]["MetricOut"]["properties"]["value"] == {"type": "number"}
    ok = {path: schema["paths"][path]["get"]["responses"]["200"]["content"] for path in (
        "/api/calendar/{token}", "/api/communities/{slug}/calendar.ics", "/api/residents/export")}
    assert {path: list(content) for path, content in ok.items()} == {
        "/api/calendar/{token}": ["text/calendar; charset=utf-8"],
        "/api/communities/{slug}/calendar.ics": ["text/calendar; charset=utf-8"],
        "/api/residents/export": ["text/csv; charset=utf-8"],
    }
    # the register template is a workbook, or CSV with ?format=csv: both documented (schemathesis found the CSV undocumented)
    template = schema["paths"]["/api/residents/import-template"]["get"]["responses"]["200"]["content"]
    assert template == {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}},
        "text/csv; charset=utf-8": {"schema": {"type": "string"}},
    }
    report = schema["paths"]["/api/communities/{slug}/residents/import"]["post"]["responses"]["422"]["content"]
    assert report == {"application/json": {"schema": {"$ref": "#/components/schemas/ImportReportOut"}}}

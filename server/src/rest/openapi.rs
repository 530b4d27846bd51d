//! The OpenAPI 3.1 document of the REST API, served at `/api/v1/openapi.json`.

use super::ROUTES;
use axum::Json;
use serde_json::{json, Map, Value};

fn schemas() -> Value {
    json!({
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": { "type": "string", "description": "Stable error code, e.g. AUTH_002", "examples": ["AUTH_002"] },
                "message": { "type": "string" }
            }
        },
        "Me": {
            "type": "object",
            "required": ["id", "name", "time_zone", "default_country", "created_at", "api_key"],
            "properties": {
                "id": { "type": "string", "description": "The organisation's id" },
                "name": { "type": "string" },
                "time_zone": { "type": "string", "description": "IANA time zone name", "examples": ["Asia/Kolkata"] },
                "default_country": { "type": "string", "description": "ISO 3166-1 alpha-2 code used to read national phone numbers" },
                "created_at": { "type": "integer", "description": "Epoch milliseconds" },
                "api_key": {
                    "type": "object",
                    "required": ["id", "name"],
                    "properties": { "id": { "type": "string" }, "name": { "type": "string" } }
                }
            }
        }
    })
}

fn response_schema(operation_id: &str) -> Value {
    match operation_id {
        "getMe" => json!({ "$ref": "#/components/schemas/Me" }),
        _ => json!({ "type": "object" }),
    }
}

/// Builds the document from the route table.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut responses = Map::new();
        responses.insert("200".into(), json!({ "description": "OK", "content": { "application/json": { "schema": response_schema(r.operation_id) } } }));
        let mut op = json!({ "operationId": r.operation_id, "summary": r.summary });
        if r.authenticated {
            responses.insert("401".into(), json!({ "description": "Missing or invalid API key (AUTH_002)", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }));
        } else {
            op["security"] = json!([]);
        }
        op["responses"] = Value::Object(responses);
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "MCE API", "version": env!("CARGO_PKG_VERSION"), "description": "Org-scoped REST API. Authenticate with an API key created by `mce api-key create`." },
        "servers": [{ "url": "/" }],
        "security": [{ "bearerAuth": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearerAuth": { "type": "http", "scheme": "bearer", "description": "An API key of the org (mce_…)" } },
            "schemas": schemas()
        }
    })
}

/// Handler of `GET /api/v1/openapi.json`.
pub async fn get_document() -> Json<Value> {
    Json(document())
}

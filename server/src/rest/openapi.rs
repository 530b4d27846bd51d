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
                "message": { "type": "string" },
                "details": { "type": "object", "description": "For WA_001: meta_code, meta_subcode, meta_message, meta_details" }
            }
        },
        "Number": {
            "type": "object",
            "required": ["id", "display_name", "phone_number_id", "waba_id", "is_sandbox", "active", "send_rate", "created_at"],
            "properties": {
                "id": { "type": "string" }, "display_name": { "type": "string" }, "phone_number_id": { "type": "string" },
                "waba_id": { "type": "string" }, "display_phone_number": { "type": ["string", "null"] },
                "verified_name": { "type": ["string", "null"] }, "quality_rating": { "type": ["string", "null"] },
                "system_prompt": { "type": "string" }, "is_sandbox": { "type": "boolean" },
                "active": { "type": "boolean", "description": "false after Meta rejected the token (190) until it is replaced" },
                "inactive_reason": { "type": ["string", "null"] },
                "send_rate": { "type": "number", "description": "Current adaptive send rate, messages per second (10 to 1000; starts at 60)" },
                "created_at": { "type": "integer" }
            }
        },
        "Contact": {
            "type": "object",
            "required": ["id", "source", "lead_status", "lifecycle_stage", "score", "opt_in_status", "custom_fields", "tags", "created_at", "updated_at"],
            "properties": {
                "id": { "type": "string" }, "phone": { "type": ["string", "null"], "description": "E.164" },
                "wa_id": { "type": ["string", "null"] }, "name": { "type": ["string", "null"] }, "profile_name": { "type": ["string", "null"], "description": "The name the person gave WhatsApp" },
                "email": { "type": ["string", "null"] }, "company": { "type": ["string", "null"] },
                "source": { "type": "string", "description": "whatsapp, api, app, csv, or a lead source's name" },
                "lead_status": { "type": "string", "enum": ["new", "engaged", "qualified", "converted", "lost"] },
                "lifecycle_stage": { "type": "string", "enum": ["lead", "prospect", "customer", "churned"] },
                "score": { "type": "integer" },
                "opt_in_status": { "type": "string", "enum": ["unknown", "opted_in", "opted_out"] },
                "birthday": { "type": ["string", "null"], "format": "date" },
                "custom_fields": { "type": "object", "description": "The org's custom fields by key" },
                "tags": { "type": "array", "items": { "type": "object", "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "colour": { "type": "string" } } } },
                "last_message_at": { "type": ["integer", "null"] },
                "created_at": { "type": "integer" }, "updated_at": { "type": "integer" }, "deleted_at": { "type": ["integer", "null"] }
            }
        },
        "Conversation": {
            "type": "object",
            "required": ["id", "number_id", "contact_id", "status", "unread_count"],
            "properties": {
                "id": { "type": "string" }, "number_id": { "type": "string" }, "contact_id": { "type": "string" },
                "status": { "type": "string", "enum": ["open", "resolved"] },
                "last_message_at": { "type": ["integer", "null"] }, "last_inbound_at": { "type": ["integer", "null"] },
                "window_expires_at": { "type": ["integer", "null"], "description": "End of the 24-hour window (epoch ms)" },
                "unread_count": { "type": "integer" }
            }
        },
        "Message": {
            "type": "object",
            "required": ["id", "direction", "type", "status", "content", "at"],
            "properties": {
                "id": { "type": "string" }, "direction": { "type": "string", "enum": ["inbound", "outbound"] },
                "type": { "type": "string" }, "text": { "type": ["string", "null"] },
                "status": { "type": "string", "enum": ["received", "pending", "sent", "delivered", "read", "played", "failed"] },
                "wa_message_id": { "type": ["string", "null"] }, "error_code": { "type": ["integer", "null"] },
                "error_title": { "type": ["string", "null"] }, "content": { "type": "object" }, "at": { "type": "integer" }
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
                    "required": ["id", "name", "role"],
                    "properties": { "id": { "type": "string" }, "name": { "type": "string" }, "role": { "type": "string", "enum": ["admin", "agent", "viewer"] } }
                }
            }
        }
    })
}

fn list_of(schema: &str) -> Value {
    json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn response_schema(operation_id: &str) -> Value {
    match operation_id {
        "getMe" => json!({ "$ref": "#/components/schemas/Me" }),
        "createNumber" | "getNumber" => json!({ "$ref": "#/components/schemas/Number" }),
        "listNumbers" => list_of("Number"),
        "listContacts" => json!({ "type": "object", "required": ["data", "total"], "properties": {
            "data": { "type": "array", "items": { "$ref": "#/components/schemas/Contact" } },
            "total": { "type": "integer", "description": "How many contacts match, over all pages" } } }),
        "createContact" | "getContact" | "updateContact" => json!({ "$ref": "#/components/schemas/Contact" }),
        "listConversations" => list_of("Conversation"),
        "listMessages" => list_of("Message"),
        "sendMessage" => json!({ "type": "object", "required": ["id", "conversation_id", "status"], "properties": {
            "id": { "type": "string" }, "conversation_id": { "type": "string" },
            "status": { "type": "string", "enum": ["queued"], "description": "Queued for sending; the message's status is pending until Meta reports sent" } } }),
        _ => json!({ "type": "object" }),
    }
}

fn request_body(operation_id: &str) -> Option<Value> {
    match operation_id {
        "createNumber" => Some(json!({ "required": true, "content": { "application/json": { "schema": {
            "type": "object",
            "required": ["display_name", "phone_number_id", "waba_id", "access_token"],
            "properties": {
                "display_name": { "type": "string", "maxLength": 100 },
                "phone_number_id": { "type": "string", "description": "Graph API phone number id (digits)" },
                "waba_id": { "type": "string", "description": "WhatsApp Business Account id (digits)" },
                "access_token": { "type": "string", "description": "System-user token; stored encrypted, never returned" },
                "system_prompt": { "type": "string", "maxLength": 8000 }
            }
        } } } })),
        "createContact" | "updateContact" => Some(json!({ "required": true, "content": { "application/json": { "schema": {
            "type": "object",
            "required": if operation_id == "createContact" { json!(["phone"]) } else { json!([]) },
            "properties": {
                "phone": { "type": "string", "description": "E.164, or national in the org's default country" },
                "name": { "type": ["string", "null"], "maxLength": 200 }, "email": { "type": ["string", "null"] }, "company": { "type": ["string", "null"], "maxLength": 200 },
                "tags": { "type": "array", "items": { "type": "string" }, "description": "Tag names (created when new; at most 50 per org). On PATCH they replace the contact's tags." },
                "custom_fields": { "type": "object", "description": "Values by field key, checked against the field's kind; null clears one" },
                "opt_in_status": { "type": "string", "enum": ["unknown", "opted_in", "opted_out"] },
                "opt_in_evidence": { "type": "string", "description": "How consent was given or withdrawn (kept on the timeline)" },
                "lead_status": { "type": "string", "enum": ["new", "engaged", "qualified", "converted", "lost"] },
                "lifecycle_stage": { "type": "string", "enum": ["lead", "prospect", "customer", "churned"] },
                "birthday": { "type": ["string", "null"], "format": "date" }
            }
        } } } })),
        "sendMessage" => Some(json!({ "required": true, "content": { "application/json": { "schema": {
            "type": "object",
            "required": ["number_id", "to"],
            "description": "number_id, to, and exactly one content field. Anything but a template needs the 24-hour window open (else 422 WA_005).",
            "properties": {
                "number_id": { "type": "string" },
                "to": { "type": "string", "description": "E.164, such as +5511999990000" },
                "text": { "type": "string", "maxLength": 4096 },
                "preview_url": { "type": "boolean" },
                "template": { "type": "object", "required": ["name", "language"], "properties": {
                    "name": { "type": "string" }, "language": { "type": "string" },
                    "components": { "type": "array", "items": { "type": "object" }, "description": "Cloud API header/body/button parameter components" } } },
                "media": { "type": "object", "required": ["type"], "properties": {
                    "type": { "type": "string", "enum": ["image", "video", "audio", "document", "sticker"] },
                    "id": { "type": "string" }, "link": { "type": "string" }, "caption": { "type": "string" }, "filename": { "type": "string" } } },
                "interactive": { "type": "object", "description": "Cloud API interactive object: button, list or cta_url" },
                "reaction": { "type": "object", "properties": { "message_id": { "type": "string" }, "emoji": { "type": "string" } } },
                "location": { "type": "object", "properties": { "latitude": { "type": "number" }, "longitude": { "type": "number" }, "name": { "type": "string" }, "address": { "type": "string" } } },
                "contacts": { "type": "array", "items": { "type": "object" } }
            }
        } } } })),
        _ => None,
    }
}

fn parameters(path: &str, operation_id: &str) -> Vec<Value> {
    let mut out: Vec<Value> = path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    match operation_id {
        "listContacts" => {
            for (name, description) in [
                ("phone", "Exactly this phone (E.164, or national in the org's country)"),
                ("q", "Text in the name, phone, email or company"),
                ("tag", "Tag names, comma-separated: contacts carrying all of them"),
                ("opt_in_status", "unknown, opted_in or opted_out"),
                ("lead_status", "new, engaged, qualified, converted or lost"),
                ("source", "Where contacts came from"),
                ("sort", "newest (default), oldest, name, -name, score (highest first), -score, last_message"),
            ] {
                out.push(json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description }));
            }
            out.push(json!({ "name": "page", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "default": 1 } }));
            out.push(
                json!({ "name": "per_page", "in": "query", "required": false, "schema": { "type": "integer", "minimum": 1, "maximum": 100, "default": 25 } }),
            );
        }
        "listConversations" => out.push(json!({ "name": "contact_id", "in": "query", "required": true, "schema": { "type": "string" } })),
        _ => {}
    }
    out
}

/// Builds the document from the route table.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let mut responses = Map::new();
        let ok = match (r.method, r.operation_id) {
            ("post", "sendMessage") => "202",
            ("post", _) => "201",
            ("delete", _) => "204",
            _ => "200",
        };
        if ok == "204" {
            responses.insert(ok.into(), json!({ "description": "Done" }));
        } else {
            responses.insert(ok.into(), json!({ "description": "OK", "content": { "application/json": { "schema": response_schema(r.operation_id) } } }));
        }
        let error = json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
        if r.path.contains('{') {
            let mut e = error.clone();
            e["description"] = json!(if r.path.starts_with("/api/v1/contacts") {
                "Not found in the key's org (CONTACT_001)"
            } else {
                "Not found in the key's org (NOT_FOUND_001)"
            });
            responses.insert("404".into(), e);
        }
        if r.operation_id == "createContact" || r.operation_id == "updateContact" {
            let mut e = error.clone();
            e["description"] = json!("Another contact already has this phone (CONTACT_002)");
            responses.insert("409".into(), e);
        }
        if r.operation_id.contains("Contact") && r.method != "delete" && r.method != "get" || r.operation_id == "listContacts" {
            let mut e = error.clone();
            e["description"] = json!("Invalid input (VALIDATION_001) or a phone that is not E.164 / not allowed (CONTACT_003)");
            responses.insert("422".into(), e);
        } else if r.method == "post" || r.operation_id == "listConversations" {
            let mut e = error.clone();
            e["description"] = json!("Invalid input (VALIDATION_001) or a WhatsApp API refusal (WA_001, with details)");
            responses.insert("422".into(), e);
        }
        let mut op = json!({ "operationId": r.operation_id, "summary": r.summary });
        let params = parameters(r.path, r.operation_id);
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        if let Some(body) = request_body(r.operation_id) {
            op["requestBody"] = body;
        }
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

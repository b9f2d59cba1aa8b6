// Generated from docs/openapi.yaml by scripts/openapi-json.py (or KEFU_WRITE_OPENAPI=1 swift test
// --filter OpenAPIDocumentTests); OpenAPIDocumentTests fails when the two differ. Do not edit.
enum OpenAPIDocument {
    static let json = ##"""
{
  "components": {
    "parameters": {
      "appid": {
        "example": "wx0000000000000051",
        "in": "path",
        "name": "appid",
        "required": true,
        "schema": {
          "type": "string"
        }
      },
      "cursor": {
        "description": "`next_cursor` of the previous page.",
        "in": "query",
        "name": "cursor",
        "schema": {
          "type": "string"
        }
      },
      "deliveryState": {
        "in": "query",
        "name": "state",
        "schema": {
          "$ref": "#/components/schemas/DeliveryState"
        }
      },
      "logLimit": {
        "in": "query",
        "name": "limit",
        "schema": {
          "default": 100,
          "maximum": 1000,
          "minimum": 1,
          "type": "integer"
        }
      },
      "mediaId": {
        "in": "path",
        "name": "id",
        "required": true,
        "schema": {
          "type": "string"
        }
      },
      "ruleId": {
        "example": 1,
        "in": "path",
        "name": "id",
        "required": true,
        "schema": {
          "minimum": 1,
          "type": "integer"
        }
      },
      "taskId": {
        "example": 1,
        "in": "path",
        "name": "id",
        "required": true,
        "schema": {
          "minimum": 1,
          "type": "integer"
        }
      }
    },
    "responses": {
      "Account": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Account"
            }
          }
        },
        "description": "An account (never a secret)."
      },
      "BadRequest": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The body is not strict JSON (or not the multipart form expected)."
      },
      "Conflict": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The state does not allow it (a name or appid taken, a task that cannot be paused)."
      },
      "Forbidden": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The token's role does not allow this route."
      },
      "Invalid": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "A field is wrong; the message starts with its name (`send_at: must be an RFC 3339 string`)."
      },
      "Media": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Media"
            }
          }
        },
        "description": "A library item."
      },
      "NotFound": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "No such account, task, rule, media item, follower or token — or one outside the token's accounts."
      },
      "Rule": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Rule"
            }
          }
        },
        "description": "A rule with its window-policy warnings."
      },
      "Task": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Task"
            }
          }
        },
        "description": "A task with its stats."
      },
      "TooLarge": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "The body is larger than the limit."
      },
      "TooMany": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "Too many failed sign-ins from this address; try again after `Retry-After` seconds.",
        "headers": {
          "Retry-After": {
            "schema": {
              "type": "string"
            }
          }
        }
      },
      "Unauthorized": {
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        },
        "description": "No token, or one that is unknown, revoked or expired."
      }
    },
    "schemas": {
      "Account": {
        "additionalProperties": false,
        "properties": {
          "appid": {
            "$ref": "#/components/schemas/Appid"
          },
          "created_at": {
            "$ref": "#/components/schemas/Time"
          },
          "daily_budget": {
            "type": "integer"
          },
          "encryption": {
            "enum": [
              "plain",
              "aes"
            ],
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "original_id": {
            "type": "string"
          },
          "pause_reason": {
            "type": "string"
          },
          "paused_until": {
            "$ref": "#/components/schemas/Time"
          },
          "reserve": {
            "type": "integer"
          },
          "send_rate": {
            "type": "integer"
          },
          "updated_at": {
            "$ref": "#/components/schemas/Time"
          }
        },
        "required": [
          "appid",
          "encryption",
          "send_rate",
          "daily_budget",
          "reserve",
          "created_at",
          "updated_at"
        ],
        "type": "object"
      },
      "AccountCreate": {
        "properties": {
          "app_secret": {
            "maxLength": 64,
            "minLength": 16,
            "pattern": "^[!-~]+$",
            "type": "string"
          },
          "appid": {
            "$ref": "#/components/schemas/Appid"
          },
          "daily_budget": {
            "maximum": 100000000,
            "minimum": 1,
            "type": [
              "integer",
              "null"
            ]
          },
          "encoding_aes_key": {
            "pattern": "^[A-Za-z0-9]{43}$",
            "type": [
              "string",
              "null"
            ]
          },
          "name": {
            "maxLength": 100,
            "minLength": 1,
            "type": [
              "string",
              "null"
            ]
          },
          "original_id": {
            "maxLength": 64,
            "pattern": "^gh_[A-Za-z0-9_]+$",
            "type": [
              "string",
              "null"
            ]
          },
          "reserve": {
            "maximum": 100,
            "minimum": 0,
            "type": [
              "integer",
              "null"
            ]
          },
          "send_rate": {
            "maximum": 10000,
            "minimum": 1,
            "type": [
              "integer",
              "null"
            ]
          },
          "token": {
            "maxLength": 32,
            "minLength": 3,
            "pattern": "^[A-Za-z0-9]+$",
            "type": "string"
          }
        },
        "required": [
          "appid",
          "app_secret",
          "token"
        ],
        "type": "object"
      },
      "AccountUpdate": {
        "properties": {
          "app_secret": {
            "maxLength": 64,
            "minLength": 16,
            "pattern": "^[!-~]+$",
            "type": [
              "string",
              "null"
            ]
          },
          "daily_budget": {
            "maximum": 100000000,
            "minimum": 1,
            "type": [
              "integer",
              "null"
            ]
          },
          "encoding_aes_key": {
            "pattern": "^[A-Za-z0-9]{43}$",
            "type": [
              "string",
              "null"
            ]
          },
          "name": {
            "maxLength": 100,
            "minLength": 1,
            "type": [
              "string",
              "null"
            ]
          },
          "original_id": {
            "maxLength": 64,
            "pattern": "^gh_[A-Za-z0-9_]+$",
            "type": [
              "string",
              "null"
            ]
          },
          "reserve": {
            "maximum": 100,
            "minimum": 0,
            "type": [
              "integer",
              "null"
            ]
          },
          "send_rate": {
            "maximum": 10000,
            "minimum": 1,
            "type": [
              "integer",
              "null"
            ]
          },
          "token": {
            "maxLength": 32,
            "minLength": 3,
            "pattern": "^[A-Za-z0-9]+$",
            "type": [
              "string",
              "null"
            ]
          }
        },
        "type": "object"
      },
      "Appid": {
        "pattern": "^wx[0-9a-f]{16}$",
        "type": "string"
      },
      "Audience": {
        "additionalProperties": false,
        "properties": {
          "count": {
            "minimum": 0,
            "type": "integer"
          },
          "next_cursor": {
            "type": [
              "string",
              "null"
            ]
          },
          "users": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "last_interaction": {
                  "type": "string"
                },
                "last_interaction_at": {
                  "$ref": "#/components/schemas/Time"
                },
                "openid": {
                  "type": "string"
                },
                "remaining": {
                  "description": "null: unlimited",
                  "type": [
                    "integer",
                    "null"
                  ]
                },
                "window_closes_at": {
                  "$ref": "#/components/schemas/Time"
                }
              },
              "required": [
                "openid",
                "last_interaction_at",
                "last_interaction",
                "window_closes_at",
                "remaining"
              ],
              "type": "object"
            },
            "type": "array"
          }
        },
        "required": [
          "count",
          "users",
          "next_cursor"
        ],
        "type": "object"
      },
      "AuditEntry": {
        "additionalProperties": false,
        "properties": {
          "action": {
            "type": "string"
          },
          "actor": {
            "type": "string"
          },
          "address": {
            "type": "string"
          },
          "at": {
            "$ref": "#/components/schemas/Time"
          },
          "id": {
            "type": "integer"
          },
          "status": {
            "type": "integer"
          },
          "target": {
            "type": "string"
          }
        },
        "required": [
          "id",
          "at",
          "actor",
          "action",
          "target",
          "address",
          "status"
        ],
        "type": "object"
      },
      "DeliveryState": {
        "enum": [
          "waiting",
          "pending",
          "sending",
          "sent",
          "failed",
          "skipped",
          "cancelled"
        ],
        "type": "string"
      },
      "Error": {
        "additionalProperties": false,
        "properties": {
          "error": {
            "$ref": "#/components/schemas/ErrorDetail"
          }
        },
        "required": [
          "error"
        ],
        "type": "object"
      },
      "ErrorDetail": {
        "additionalProperties": false,
        "properties": {
          "message": {
            "type": "string"
          }
        },
        "required": [
          "message"
        ],
        "type": "object"
      },
      "Follower": {
        "additionalProperties": false,
        "properties": {
          "grants": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "closes_at": {
                  "$ref": "#/components/schemas/Time"
                },
                "kind": {
                  "type": "string"
                },
                "opened_at": {
                  "$ref": "#/components/schemas/Time"
                },
                "remaining": {
                  "type": [
                    "integer",
                    "null"
                  ]
                }
              },
              "required": [
                "kind",
                "opened_at",
                "closes_at",
                "remaining"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "last_interaction": {
            "type": "string"
          },
          "last_interaction_at": {
            "$ref": "#/components/schemas/Time"
          },
          "openid": {
            "type": "string"
          },
          "recent_deliveries": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "due_at": {
                  "$ref": "#/components/schemas/Time"
                },
                "errcode": {
                  "type": "integer"
                },
                "reason": {
                  "type": "string"
                },
                "rule_id": {
                  "type": "integer"
                },
                "sent_at": {
                  "$ref": "#/components/schemas/Time"
                },
                "state": {
                  "$ref": "#/components/schemas/DeliveryState"
                },
                "task_id": {
                  "type": "integer"
                }
              },
              "required": [
                "state",
                "due_at"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "recent_interactions": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "at": {
                  "$ref": "#/components/schemas/Time"
                },
                "detail": {
                  "type": "string"
                },
                "id": {
                  "type": "integer"
                },
                "key": {
                  "type": "string"
                },
                "kind": {
                  "type": "string"
                },
                "received_at": {
                  "$ref": "#/components/schemas/Time"
                }
              },
              "required": [
                "id",
                "kind",
                "detail",
                "at",
                "received_at"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "subscribed": {
            "type": "boolean"
          }
        },
        "required": [
          "openid",
          "subscribed",
          "last_interaction_at",
          "last_interaction",
          "grants",
          "recent_interactions",
          "recent_deliveries"
        ],
        "type": "object"
      },
      "Media": {
        "additionalProperties": false,
        "properties": {
          "bytes": {
            "minimum": 0,
            "type": "integer"
          },
          "content_type": {
            "type": "string"
          },
          "created_at": {
            "$ref": "#/components/schemas/Time"
          },
          "filename": {
            "type": "string"
          },
          "id": {
            "pattern": "^m_[0-9a-f]{20}$",
            "type": "string"
          },
          "sha256": {
            "pattern": "^[0-9a-f]{64}$",
            "type": "string"
          },
          "type": {
            "enum": [
              "image",
              "voice",
              "video",
              "thumb"
            ],
            "type": "string"
          },
          "wechat_media_id": {
            "type": [
              "string",
              "null"
            ]
          },
          "wechat_uploaded_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Time"
              },
              {
                "type": "null"
              }
            ]
          }
        },
        "required": [
          "id",
          "type",
          "filename",
          "bytes",
          "sha256",
          "content_type",
          "created_at",
          "wechat_media_id",
          "wechat_uploaded_at"
        ],
        "type": "object"
      },
      "Message": {
        "description": "A customer-service message in WeChat's JSON without `touser`: text, image, voice, video, news, mpnews, mpnewsarticle, miniprogrampage or msgmenu. A media field may name a library file instead of a WeChat media id (`kefu_media`, `thumb_kefu_media`).",
        "properties": {
          "msgtype": {
            "type": "string"
          }
        },
        "required": [
          "msgtype"
        ],
        "type": "object"
      },
      "Preview": {
        "additionalProperties": false,
        "properties": {
          "closing_before_reached": {
            "minimum": 0,
            "type": "integer"
          },
          "daily_budget": {
            "type": "integer"
          },
          "media": {
            "items": {
              "additionalProperties": false,
              "properties": {
                "exists": {
                  "type": "boolean"
                },
                "field": {
                  "type": "string"
                },
                "filename": {
                  "type": [
                    "string",
                    "null"
                  ]
                },
                "fresh": {
                  "type": "boolean"
                },
                "id": {
                  "type": "string"
                },
                "type": {
                  "type": "string"
                },
                "wechat_media_id": {
                  "type": [
                    "string",
                    "null"
                  ]
                },
                "wechat_uploaded_at": {
                  "oneOf": [
                    {
                      "$ref": "#/components/schemas/Time"
                    },
                    {
                      "type": "null"
                    }
                  ]
                }
              },
              "required": [
                "id",
                "type",
                "field",
                "exists",
                "filename",
                "wechat_media_id",
                "wechat_uploaded_at",
                "fresh"
              ],
              "type": "object"
            },
            "type": "array"
          },
          "quota_share": {
            "minimum": 0,
            "type": "number"
          },
          "reachable_at_send": {
            "minimum": 0,
            "type": "integer"
          },
          "reachable_now": {
            "minimum": 0,
            "type": "integer"
          },
          "send_seconds": {
            "minimum": 0,
            "type": "number"
          },
          "used_today": {
            "minimum": 0,
            "type": "integer"
          }
        },
        "required": [
          "media",
          "reachable_now",
          "reachable_at_send",
          "closing_before_reached",
          "send_seconds",
          "daily_budget",
          "used_today",
          "quota_share"
        ],
        "type": "object"
      },
      "Role": {
        "enum": [
          "viewer",
          "operator",
          "admin"
        ],
        "type": "string"
      },
      "Rule": {
        "additionalProperties": false,
        "properties": {
          "appid": {
            "$ref": "#/components/schemas/Appid"
          },
          "cooldown_seconds": {
            "minimum": 0,
            "type": "integer"
          },
          "created_at": {
            "$ref": "#/components/schemas/Time"
          },
          "delay_seconds": {
            "minimum": 0,
            "type": "integer"
          },
          "enabled": {
            "type": "boolean"
          },
          "id": {
            "type": "integer"
          },
          "kf_account": {
            "type": [
              "string",
              "null"
            ]
          },
          "message": {
            "$ref": "#/components/schemas/Message"
          },
          "name": {
            "type": "string"
          },
          "once_per_follower": {
            "type": "boolean"
          },
          "trigger": {
            "additionalProperties": false,
            "properties": {
              "key": {
                "type": [
                  "string",
                  "null"
                ]
              },
              "kind": {
                "enum": [
                  "any",
                  "message",
                  "subscribe",
                  "scan",
                  "click",
                  "menu"
                ],
                "type": "string"
              }
            },
            "required": [
              "kind",
              "key"
            ],
            "type": "object"
          },
          "updated_at": {
            "$ref": "#/components/schemas/Time"
          },
          "warnings": {
            "items": {
              "type": "string"
            },
            "type": "array"
          }
        },
        "required": [
          "id",
          "name",
          "appid",
          "trigger",
          "delay_seconds",
          "message",
          "kf_account",
          "enabled",
          "once_per_follower",
          "cooldown_seconds",
          "created_at",
          "updated_at",
          "warnings"
        ],
        "type": "object"
      },
      "RuleCreate": {
        "properties": {
          "appid": {
            "type": "string"
          },
          "cooldown_seconds": {
            "maximum": 2592000,
            "minimum": 0,
            "type": [
              "integer",
              "null"
            ]
          },
          "delay_seconds": {
            "maximum": 604800,
            "minimum": 0,
            "type": "integer"
          },
          "enabled": {
            "type": [
              "boolean",
              "null"
            ]
          },
          "kf_account": {
            "type": [
              "string",
              "null"
            ]
          },
          "message": {
            "$ref": "#/components/schemas/Message"
          },
          "name": {
            "maxLength": 100,
            "type": "string"
          },
          "once_per_follower": {
            "type": [
              "boolean",
              "null"
            ]
          },
          "trigger": {
            "$ref": "#/components/schemas/Trigger"
          }
        },
        "required": [
          "name",
          "appid",
          "trigger",
          "delay_seconds",
          "message"
        ],
        "type": "object"
      },
      "RuleDelivery": {
        "additionalProperties": false,
        "properties": {
          "attempts": {
            "minimum": 0,
            "type": "integer"
          },
          "due_at": {
            "$ref": "#/components/schemas/Time"
          },
          "errcode": {
            "type": [
              "integer",
              "null"
            ]
          },
          "lateness_ms": {
            "type": [
              "integer",
              "null"
            ]
          },
          "openid": {
            "type": "string"
          },
          "reason": {
            "type": [
              "string",
              "null"
            ]
          },
          "sent_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Time"
              },
              {
                "type": "null"
              }
            ]
          },
          "state": {
            "$ref": "#/components/schemas/DeliveryState"
          },
          "wechat_media_id": {
            "type": [
              "string",
              "null"
            ]
          }
        },
        "required": [
          "openid",
          "state",
          "attempts",
          "reason",
          "errcode",
          "due_at",
          "sent_at",
          "wechat_media_id",
          "lateness_ms"
        ],
        "type": "object"
      },
      "RuleUpdate": {
        "properties": {
          "cooldown_seconds": {
            "maximum": 2592000,
            "minimum": 0,
            "type": [
              "integer",
              "null"
            ]
          },
          "delay_seconds": {
            "maximum": 604800,
            "minimum": 0,
            "type": [
              "integer",
              "null"
            ]
          },
          "enabled": {
            "type": [
              "boolean",
              "null"
            ]
          },
          "kf_account": {
            "type": [
              "string",
              "null"
            ]
          },
          "message": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Message"
              },
              {
                "type": "null"
              }
            ]
          },
          "name": {
            "maxLength": 100,
            "type": [
              "string",
              "null"
            ]
          },
          "once_per_follower": {
            "type": [
              "boolean",
              "null"
            ]
          },
          "trigger": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Trigger"
              },
              {
                "type": "null"
              }
            ]
          }
        },
        "type": "object"
      },
      "Task": {
        "additionalProperties": false,
        "properties": {
          "appid": {
            "$ref": "#/components/schemas/Appid"
          },
          "created_at": {
            "$ref": "#/components/schemas/Time"
          },
          "description": {
            "type": [
              "string",
              "null"
            ]
          },
          "id": {
            "type": "integer"
          },
          "kf_account": {
            "type": [
              "string",
              "null"
            ]
          },
          "message": {
            "$ref": "#/components/schemas/Message"
          },
          "name": {
            "type": "string"
          },
          "send_at": {
            "$ref": "#/components/schemas/Time"
          },
          "started_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Time"
              },
              {
                "type": "null"
              }
            ]
          },
          "stats": {
            "additionalProperties": false,
            "properties": {
              "audience": {
                "minimum": 0,
                "type": "integer"
              },
              "cancelled": {
                "minimum": 0,
                "type": "integer"
              },
              "errors": {
                "additionalProperties": {
                  "type": "integer"
                },
                "description": "Failures by WeChat error code.",
                "type": "object"
              },
              "failed": {
                "minimum": 0,
                "type": "integer"
              },
              "pending": {
                "minimum": 0,
                "type": "integer"
              },
              "sent": {
                "minimum": 0,
                "type": "integer"
              },
              "skipped": {
                "minimum": 0,
                "type": "integer"
              }
            },
            "required": [
              "audience",
              "sent",
              "failed",
              "skipped",
              "pending",
              "cancelled",
              "errors"
            ],
            "type": "object"
          },
          "status": {
            "$ref": "#/components/schemas/TaskStatus"
          },
          "updated_at": {
            "$ref": "#/components/schemas/Time"
          }
        },
        "required": [
          "id",
          "name",
          "description",
          "appid",
          "send_at",
          "status",
          "message",
          "kf_account",
          "created_at",
          "updated_at",
          "started_at",
          "stats"
        ],
        "type": "object"
      },
      "TaskCreate": {
        "properties": {
          "appid": {
            "type": "string"
          },
          "description": {
            "maxLength": 1000,
            "type": [
              "string",
              "null"
            ]
          },
          "kf_account": {
            "type": [
              "string",
              "null"
            ]
          },
          "message": {
            "$ref": "#/components/schemas/Message"
          },
          "name": {
            "maxLength": 100,
            "type": "string"
          },
          "send_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Time"
              },
              {
                "type": "null"
              }
            ]
          }
        },
        "required": [
          "name",
          "appid",
          "message"
        ],
        "type": "object"
      },
      "TaskDelivery": {
        "additionalProperties": false,
        "properties": {
          "attempts": {
            "minimum": 0,
            "type": "integer"
          },
          "errcode": {
            "type": [
              "integer",
              "null"
            ]
          },
          "openid": {
            "type": "string"
          },
          "reason": {
            "type": [
              "string",
              "null"
            ]
          },
          "sent_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Time"
              },
              {
                "type": "null"
              }
            ]
          },
          "state": {
            "$ref": "#/components/schemas/DeliveryState"
          },
          "test": {
            "const": true,
            "type": "boolean"
          },
          "wechat_media_id": {
            "type": [
              "string",
              "null"
            ]
          }
        },
        "required": [
          "openid",
          "state",
          "attempts",
          "reason",
          "errcode",
          "sent_at",
          "wechat_media_id"
        ],
        "type": "object"
      },
      "TaskStatus": {
        "enum": [
          "scheduled",
          "running",
          "paused",
          "completed",
          "cancelled"
        ],
        "type": "string"
      },
      "Time": {
        "format": "date-time",
        "type": "string"
      },
      "Token": {
        "properties": {
          "accounts": {
            "oneOf": [
              {
                "items": {
                  "$ref": "#/components/schemas/Appid"
                },
                "type": "array"
              },
              {
                "type": "null"
              }
            ]
          },
          "active": {
            "type": "boolean"
          },
          "created_at": {
            "$ref": "#/components/schemas/Time"
          },
          "expires_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Time"
              },
              {
                "type": "null"
              }
            ]
          },
          "id": {
            "pattern": "^tok_[0-9a-f]{12}$",
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "revoked_at": {
            "oneOf": [
              {
                "$ref": "#/components/schemas/Time"
              },
              {
                "type": "null"
              }
            ]
          },
          "role": {
            "$ref": "#/components/schemas/Role"
          }
        },
        "required": [
          "id",
          "name",
          "role",
          "accounts",
          "created_at",
          "expires_at",
          "revoked_at",
          "active"
        ],
        "type": "object"
      },
      "Trigger": {
        "properties": {
          "key": {
            "minLength": 1,
            "type": [
              "string",
              "null"
            ]
          },
          "kind": {
            "enum": [
              "any",
              "message",
              "subscribe",
              "scan",
              "click",
              "menu"
            ],
            "type": "string"
          }
        },
        "required": [
          "kind"
        ],
        "type": "object"
      }
    },
    "securitySchemes": {
      "bearer": {
        "description": "`KEFU_ADMIN_TOKEN`, or a named token from `kefu tokens create` (`kefu_` and 48 hex digits).",
        "scheme": "bearer",
        "type": "http"
      }
    }
  },
  "info": {
    "description": "The admin API of `kefu serve`: accounts, their window ledgers, broadcast tasks, delayed-message\nrules, the media library, the audit log and named API tokens.\n\nEvery call but this document's needs `Authorization: Bearer <token>`: `KEFU_ADMIN_TOKEN` or a\nnamed token (`kefu tokens create`). A route the token's role does not allow is `403`; an\naccount outside its scope, and that account's tasks and rules, are `404` as if absent. More\nthan 10 wrong tokens from one address within a minute get `429` for a minute.\n\nErrors are `{\"error\": {\"message\": \"…\"}}`; a validation error (`422`) starts with the field's\nname. Bodies are strict JSON (`400` says where one stops being JSON). Times are RFC 3339.\nA test holds this document to the server's routes (`OpenAPIDocumentTests`), and the test\ncommand runs schemathesis against a live server on both stores.\n",
    "license": {
      "identifier": "LicenseRef-kefu",
      "name": "Proprietary"
    },
    "summary": "WeChat Official Account customer-service messages, inside the windows WeChat allows.",
    "title": "kefu admin API",
    "version": "1"
  },
  "openapi": "3.1.0",
  "paths": {
    "/api/v1/accounts": {
      "get": {
        "operationId": "listAccounts",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "accounts": {
                      "items": {
                        "$ref": "#/components/schemas/Account"
                      },
                      "type": "array"
                    }
                  },
                  "required": [
                    "accounts"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "Accounts, by appid."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The accounts the token sees.",
        "tags": [
          "accounts"
        ]
      },
      "post": {
        "operationId": "createAccount",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/AccountCreate"
              }
            }
          },
          "required": true
        },
        "responses": {
          "201": {
            "$ref": "#/components/responses/Account"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Add an account (admin). Its secrets are sealed at rest and never shown again.",
        "tags": [
          "accounts"
        ]
      }
    },
    "/api/v1/accounts/{appid}": {
      "delete": {
        "operationId": "deleteAccount",
        "responses": {
          "204": {
            "description": "Removed."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Remove an account (admin); the trimmer purges its ledger and log.",
        "tags": [
          "accounts"
        ]
      },
      "get": {
        "operationId": "getAccount",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Account"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "An account, with its pause while sending is paused.",
        "tags": [
          "accounts"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/appid"
        }
      ],
      "patch": {
        "operationId": "updateAccount",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/AccountUpdate"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/Account"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Change any field but the appid (admin); a new EncodingAESKey keeps the old one as the previous key.",
        "tags": [
          "accounts"
        ]
      }
    },
    "/api/v1/accounts/{appid}/audience": {
      "get": {
        "operationId": "audience",
        "parameters": [
          {
            "in": "query",
            "name": "limit",
            "schema": {
              "default": 100,
              "maximum": 1000,
              "minimum": 1,
              "type": "integer"
            }
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Audience"
                }
              }
            },
            "description": "A page of the open windows."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The followers whose window is open now, closing soonest first.",
        "tags": [
          "ledger"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/appid"
        }
      ]
    },
    "/api/v1/accounts/{appid}/followers/{openid}": {
      "get": {
        "operationId": "follower",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Follower"
                }
              }
            },
            "description": "The follower."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "A follower's grants, recent interactions and deliveries — why they did (not) get a message.",
        "tags": [
          "ledger"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/appid"
        },
        {
          "example": "oFollower",
          "in": "path",
          "name": "openid",
          "required": true,
          "schema": {
            "minLength": 1,
            "type": "string"
          }
        }
      ]
    },
    "/api/v1/accounts/{appid}/interactions": {
      "parameters": [
        {
          "$ref": "#/components/parameters/appid"
        }
      ],
      "post": {
        "operationId": "importInteractions",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "properties": {
                  "interactions": {
                    "items": {
                      "properties": {
                        "at": {
                          "format": "date-time",
                          "type": "string"
                        },
                        "kind": {
                          "enum": [
                            "message",
                            "subscribe",
                            "unsubscribe",
                            "scan",
                            "click"
                          ],
                          "type": "string"
                        },
                        "openid": {
                          "minLength": 1,
                          "type": "string"
                        }
                      },
                      "required": [
                        "openid",
                        "kind",
                        "at"
                      ],
                      "type": "object"
                    },
                    "maxItems": 10000,
                    "type": "array"
                  }
                },
                "required": [
                  "interactions"
                ],
                "type": "object"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "duplicates": {
                      "minimum": 0,
                      "type": "integer"
                    },
                    "imported": {
                      "minimum": 0,
                      "type": "integer"
                    }
                  },
                  "required": [
                    "imported",
                    "duplicates"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "How many were new and how many were there already."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Import up to 10,000 interactions from a previous system (admin); idempotent.",
        "tags": [
          "ledger"
        ]
      }
    },
    "/api/v1/accounts/{appid}/media": {
      "get": {
        "operationId": "listMedia",
        "parameters": [
          {
            "in": "query",
            "name": "type",
            "schema": {
              "enum": [
                "image",
                "voice",
                "video",
                "thumb"
              ],
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "limit",
            "schema": {
              "default": 50,
              "maximum": 500,
              "minimum": 1,
              "type": "integer"
            }
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "media": {
                      "items": {
                        "$ref": "#/components/schemas/Media"
                      },
                      "type": "array"
                    },
                    "next_cursor": {
                      "type": [
                        "string",
                        "null"
                      ]
                    }
                  },
                  "required": [
                    "media",
                    "next_cursor"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "A page of the library."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The library, newest first.",
        "tags": [
          "media"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/appid"
        }
      ],
      "post": {
        "operationId": "uploadMedia",
        "requestBody": {
          "content": {
            "multipart/form-data": {
              "schema": {
                "properties": {
                  "file": {
                    "format": "binary",
                    "type": "string"
                  },
                  "type": {
                    "enum": [
                      "image",
                      "voice",
                      "video",
                      "thumb"
                    ],
                    "type": "string"
                  }
                },
                "required": [
                  "type",
                  "file"
                ],
                "type": "object"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/Media"
          },
          "201": {
            "$ref": "#/components/responses/Media"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Add a file to the library (operator); the same bytes of the same type again answer 200 with the existing item.",
        "tags": [
          "media"
        ]
      }
    },
    "/api/v1/accounts/{appid}/media/{id}": {
      "delete": {
        "operationId": "deleteMedia",
        "responses": {
          "204": {
            "description": "Removed."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "error": {
                      "$ref": "#/components/schemas/ErrorDetail"
                    },
                    "rules": {
                      "items": {
                        "type": "integer"
                      },
                      "type": "array"
                    },
                    "tasks": {
                      "items": {
                        "type": "integer"
                      },
                      "type": "array"
                    }
                  },
                  "required": [
                    "error",
                    "tasks",
                    "rules"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "Still used; the tasks and rules that use it."
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Remove a library item (operator), unless a scheduled, running or paused task or any rule uses it.",
        "tags": [
          "media"
        ]
      },
      "get": {
        "operationId": "getMedia",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Media"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "A library item.",
        "tags": [
          "media"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/appid"
        },
        {
          "$ref": "#/components/parameters/mediaId"
        }
      ]
    },
    "/api/v1/accounts/{appid}/media/{id}/content": {
      "get": {
        "operationId": "mediaContent",
        "responses": {
          "200": {
            "content": {
              "audio/amr": {
                "schema": {
                  "format": "binary",
                  "type": "string"
                }
              },
              "audio/mpeg": {
                "schema": {
                  "format": "binary",
                  "type": "string"
                }
              },
              "image/gif": {
                "schema": {
                  "format": "binary",
                  "type": "string"
                }
              },
              "image/jpeg": {
                "schema": {
                  "format": "binary",
                  "type": "string"
                }
              },
              "image/png": {
                "schema": {
                  "format": "binary",
                  "type": "string"
                }
              },
              "video/mp4": {
                "schema": {
                  "format": "binary",
                  "type": "string"
                }
              }
            },
            "description": "The file."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "A library item's bytes, with the content type kefu found in them.",
        "tags": [
          "media"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/appid"
        },
        {
          "$ref": "#/components/parameters/mediaId"
        }
      ]
    },
    "/api/v1/audit": {
      "get": {
        "operationId": "audit",
        "parameters": [
          {
            "in": "query",
            "name": "actor",
            "schema": {
              "maxLength": 512,
              "minLength": 1,
              "type": "string"
            }
          },
          {
            "description": "The action's start, e.g. `POST /api/v1/tasks`.",
            "in": "query",
            "name": "action",
            "schema": {
              "maxLength": 512,
              "minLength": 1,
              "type": "string"
            }
          },
          {
            "description": "The target path's start.",
            "in": "query",
            "name": "target",
            "schema": {
              "maxLength": 512,
              "minLength": 1,
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "since",
            "schema": {
              "format": "date-time",
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "until",
            "schema": {
              "format": "date-time",
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "limit",
            "schema": {
              "default": 100,
              "maximum": 1000,
              "minimum": 1,
              "type": "integer"
            }
          },
          {
            "description": "`next_before` of the previous page.",
            "in": "query",
            "name": "before",
            "schema": {
              "minimum": 1,
              "type": "integer"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "entries": {
                      "items": {
                        "$ref": "#/components/schemas/AuditEntry"
                      },
                      "type": "array"
                    },
                    "next_before": {
                      "type": [
                        "integer",
                        "null"
                      ]
                    }
                  },
                  "required": [
                    "entries",
                    "next_before"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "A page of the log."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The audit log, newest first (admin).",
        "tags": [
          "audit"
        ]
      }
    },
    "/api/v1/openapi.json": {
      "get": {
        "operationId": "openapi",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "type": "object"
                }
              }
            },
            "description": "The OpenAPI document."
          }
        },
        "security": [],
        "summary": "This document, as JSON (no token needed).",
        "tags": [
          "meta"
        ]
      }
    },
    "/api/v1/rules": {
      "get": {
        "operationId": "listRules",
        "parameters": [
          {
            "in": "query",
            "name": "appid",
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "rules": {
                      "items": {
                        "$ref": "#/components/schemas/Rule"
                      },
                      "type": "array"
                    }
                  },
                  "required": [
                    "rules"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "Rules."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The rules the token sees.",
        "tags": [
          "rules"
        ]
      },
      "post": {
        "operationId": "createRule",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RuleCreate"
              }
            }
          },
          "required": true
        },
        "responses": {
          "201": {
            "$ref": "#/components/responses/Rule"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "A message sent a set time after a matching interaction (operator); the answer carries the window-policy warnings.",
        "tags": [
          "rules"
        ]
      }
    },
    "/api/v1/rules/{id}": {
      "delete": {
        "operationId": "deleteRule",
        "responses": {
          "204": {
            "description": "Deleted."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Delete a rule (operator); its waiting deliveries are cancelled.",
        "tags": [
          "rules"
        ]
      },
      "get": {
        "operationId": "getRule",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Rule"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "A rule.",
        "tags": [
          "rules"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/ruleId"
        }
      ],
      "patch": {
        "operationId": "updateRule",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/RuleUpdate"
              }
            }
          },
          "required": true
        },
        "responses": {
          "200": {
            "$ref": "#/components/responses/Rule"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Change any field but the appid (operator); `enabled false` cancels the waiting deliveries.",
        "tags": [
          "rules"
        ]
      }
    },
    "/api/v1/rules/{id}/deliveries": {
      "get": {
        "operationId": "ruleDeliveries",
        "parameters": [
          {
            "$ref": "#/components/parameters/deliveryState"
          },
          {
            "$ref": "#/components/parameters/logLimit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "deliveries": {
                      "items": {
                        "$ref": "#/components/schemas/RuleDelivery"
                      },
                      "type": "array"
                    },
                    "next_cursor": {
                      "type": [
                        "string",
                        "null"
                      ]
                    }
                  },
                  "required": [
                    "deliveries",
                    "next_cursor"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "A page of deliveries."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The per-recipient log of a rule, with each delivery's lateness.",
        "tags": [
          "rules"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/ruleId"
        }
      ]
    },
    "/api/v1/tasks": {
      "get": {
        "operationId": "listTasks",
        "parameters": [
          {
            "in": "query",
            "name": "appid",
            "schema": {
              "type": "string"
            }
          },
          {
            "in": "query",
            "name": "status",
            "schema": {
              "$ref": "#/components/schemas/TaskStatus"
            }
          },
          {
            "in": "query",
            "name": "limit",
            "schema": {
              "default": 100,
              "maximum": 1000,
              "minimum": 1,
              "type": "integer"
            }
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "tasks": {
                      "items": {
                        "$ref": "#/components/schemas/Task"
                      },
                      "type": "array"
                    }
                  },
                  "required": [
                    "tasks"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "Tasks."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Tasks with their stats, newest first.",
        "tags": [
          "tasks"
        ]
      },
      "post": {
        "operationId": "createTask",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "$ref": "#/components/schemas/TaskCreate"
              }
            }
          },
          "required": true
        },
        "responses": {
          "201": {
            "$ref": "#/components/responses/Task"
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Schedule a broadcast to everyone whose window is open at its send time (operator).",
        "tags": [
          "tasks"
        ]
      }
    },
    "/api/v1/tasks/{id}": {
      "get": {
        "operationId": "getTask",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Task"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "A task with its stats.",
        "tags": [
          "tasks"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/taskId"
        }
      ]
    },
    "/api/v1/tasks/{id}/cancel": {
      "parameters": [
        {
          "$ref": "#/components/parameters/taskId"
        }
      ],
      "post": {
        "operationId": "cancelTask",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Task"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Cancel a task (operator); what is not sent yet is not sent.",
        "tags": [
          "tasks"
        ]
      }
    },
    "/api/v1/tasks/{id}/deliveries": {
      "get": {
        "operationId": "taskDeliveries",
        "parameters": [
          {
            "$ref": "#/components/parameters/deliveryState"
          },
          {
            "$ref": "#/components/parameters/logLimit"
          },
          {
            "$ref": "#/components/parameters/cursor"
          }
        ],
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "deliveries": {
                      "items": {
                        "$ref": "#/components/schemas/TaskDelivery"
                      },
                      "type": "array"
                    },
                    "next_cursor": {
                      "type": [
                        "string",
                        "null"
                      ]
                    }
                  },
                  "required": [
                    "deliveries",
                    "next_cursor"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "A page of deliveries."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The per-recipient log of a task.",
        "tags": [
          "tasks"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/taskId"
        }
      ]
    },
    "/api/v1/tasks/{id}/pause": {
      "parameters": [
        {
          "$ref": "#/components/parameters/taskId"
        }
      ],
      "post": {
        "operationId": "pauseTask",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Task"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Pause a scheduled or running task (operator).",
        "tags": [
          "tasks"
        ]
      }
    },
    "/api/v1/tasks/{id}/preview": {
      "get": {
        "operationId": "previewTask",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/Preview"
                }
              }
            },
            "description": "The forecast."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Who it reaches now and at its send time, how long sending takes, the quota it uses, and the library files it needs.",
        "tags": [
          "tasks"
        ]
      },
      "parameters": [
        {
          "$ref": "#/components/parameters/taskId"
        }
      ]
    },
    "/api/v1/tasks/{id}/resume": {
      "parameters": [
        {
          "$ref": "#/components/parameters/taskId"
        }
      ],
      "post": {
        "operationId": "resumeTask",
        "responses": {
          "200": {
            "$ref": "#/components/responses/Task"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Resume a paused task (operator).",
        "tags": [
          "tasks"
        ]
      }
    },
    "/api/v1/tasks/{id}/test": {
      "parameters": [
        {
          "$ref": "#/components/parameters/taskId"
        }
      ],
      "post": {
        "operationId": "testTask",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "properties": {
                  "openids": {
                    "items": {
                      "minLength": 1,
                      "type": "string"
                    },
                    "maxItems": 100,
                    "minItems": 1,
                    "type": "array"
                  }
                },
                "required": [
                  "openids"
                ],
                "type": "object"
              }
            }
          },
          "required": true
        },
        "responses": {
          "202": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "queued": {
                      "minimum": 0,
                      "type": "integer"
                    }
                  },
                  "required": [
                    "queued"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "Queued."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Send the task's message to up to 100 followers now, as a test (operator).",
        "tags": [
          "tasks"
        ]
      }
    },
    "/api/v1/tokens": {
      "get": {
        "operationId": "listTokens",
        "responses": {
          "200": {
            "content": {
              "application/json": {
                "schema": {
                  "additionalProperties": false,
                  "properties": {
                    "tokens": {
                      "items": {
                        "$ref": "#/components/schemas/Token"
                      },
                      "type": "array"
                    }
                  },
                  "required": [
                    "tokens"
                  ],
                  "type": "object"
                }
              }
            },
            "description": "Tokens, newest first."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "The named tokens (admin), never their secrets.",
        "tags": [
          "tokens"
        ]
      },
      "post": {
        "operationId": "createToken",
        "requestBody": {
          "content": {
            "application/json": {
              "schema": {
                "properties": {
                  "accounts": {
                    "items": {
                      "$ref": "#/components/schemas/Appid"
                    },
                    "maxItems": 1000,
                    "minItems": 1,
                    "type": [
                      "array",
                      "null"
                    ]
                  },
                  "expires_in": {
                    "examples": [
                      "90d"
                    ],
                    "pattern": "^[0-9]+[mhd]$",
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "name": {
                    "maxLength": 64,
                    "minLength": 1,
                    "type": "string"
                  },
                  "role": {
                    "$ref": "#/components/schemas/Role"
                  }
                },
                "required": [
                  "name",
                  "role"
                ],
                "type": "object"
              }
            }
          },
          "required": true
        },
        "responses": {
          "201": {
            "content": {
              "application/json": {
                "schema": {
                  "allOf": [
                    {
                      "$ref": "#/components/schemas/Token"
                    },
                    {
                      "properties": {
                        "token": {
                          "pattern": "^kefu_[0-9a-f]{48}$",
                          "type": "string"
                        }
                      },
                      "required": [
                        "token"
                      ],
                      "type": "object"
                    }
                  ]
                }
              }
            },
            "description": "The token, with its secret."
          },
          "400": {
            "$ref": "#/components/responses/BadRequest"
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "409": {
            "$ref": "#/components/responses/Conflict"
          },
          "413": {
            "$ref": "#/components/responses/TooLarge"
          },
          "422": {
            "$ref": "#/components/responses/Invalid"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Make a named token (admin); its secret is in this answer only.",
        "tags": [
          "tokens"
        ]
      }
    },
    "/api/v1/tokens/{id}": {
      "delete": {
        "operationId": "revokeToken",
        "responses": {
          "204": {
            "description": "Revoked."
          },
          "401": {
            "$ref": "#/components/responses/Unauthorized"
          },
          "403": {
            "$ref": "#/components/responses/Forbidden"
          },
          "404": {
            "$ref": "#/components/responses/NotFound"
          },
          "429": {
            "$ref": "#/components/responses/TooMany"
          }
        },
        "summary": "Revoke a token for good (admin); its console sessions end too.",
        "tags": [
          "tokens"
        ]
      },
      "parameters": [
        {
          "example": "tok_000000000000",
          "in": "path",
          "name": "id",
          "required": true,
          "schema": {
            "type": "string"
          }
        }
      ]
    }
  },
  "security": [
    {
      "bearer": []
    }
  ],
  "servers": [
    {
      "url": "/"
    }
  ],
  "tags": [
    {
      "name": "accounts"
    },
    {
      "name": "ledger"
    },
    {
      "name": "media"
    },
    {
      "name": "tasks"
    },
    {
      "name": "rules"
    },
    {
      "name": "audit"
    },
    {
      "name": "tokens"
    },
    {
      "name": "meta"
    }
  ]
}
"""##
}

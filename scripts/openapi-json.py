#!/usr/bin/env python3
# Writes Sources/KefuApp/Admin/OpenAPIDocument.swift from docs/openapi.yaml (needs PyYAML). The
# test suite does the same check with Yams (OpenAPIDocumentTests) and can rewrite the file too:
# KEFU_WRITE_OPENAPI=1 swift test --filter OpenAPIDocumentTests.
import json, pathlib, yaml
root = pathlib.Path(__file__).resolve().parent.parent
document = yaml.safe_load((root / "docs/openapi.yaml").read_text())
text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)
(root / "Sources/KefuApp/Admin/OpenAPIDocument.swift").write_text(
    "// Generated from docs/openapi.yaml by scripts/openapi-json.py (or KEFU_WRITE_OPENAPI=1 swift test\n"
    "// --filter OpenAPIDocumentTests); OpenAPIDocumentTests fails when the two differ. Do not edit.\n"
    "enum OpenAPIDocument {\n    static let json = ##\"\"\"\n" + text + "\n\"\"\"##\n}\n")

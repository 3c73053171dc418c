#!/usr/bin/env bash
# Regenerates tests/data/broken/* from tests/data/minimal: each case breaks one thing.
set -euo pipefail
cd "$(dirname "$0")"
P=test.minimal/1.0.0
mk() { rm -rf "broken/$1"; mkdir -p "broken/$1"; cp -r minimal/test.minimal "broken/$1/"; }
mk malformed-yaml; sed -i 's/^status: published/status: [published/' broken/malformed-yaml/$P/standard.yaml
mk missing-field; sed -i '/^status:/d' broken/missing-field/$P/standard.yaml
mk duplicate-clause; sed -i 's/id: MIN-EXP-001/id: MIN-API-001/' broken/duplicate-clause/$P/standard.yaml
mk ref-missing; sed -i "s#schemas/person.schema.json'#schemas/persons.schema.json'#" broken/ref-missing/$P/openapi.yaml
mk ref-url; sed -i "s#{\$ref: 'schemas/person.schema.json'}#{\$ref: 'https://schemas.example.org/person.json'}#" broken/ref-url/$P/openapi.yaml
mk path-outside; sed -i 's#schema: schemas/person.schema.json#schema: ../../../minimal/test.minimal/1.0.0/schemas/person.schema.json#' broken/path-outside/$P/standard.yaml
mk unknown-format; sed -i 's/"format": "cn-id-number"/"format": "cn-id-numbr"/' broken/unknown-format/$P/schemas/person.schema.json
mk example-invalid; sed -i 's/"born": "1949-12-31"}\]/"born": "1949-02-30"}]/' broken/example-invalid/$P/schemas/person.schema.json
mk unserved-clause; sed -i 's/clauses: \[MIN-EXP-001\]/clauses: [MIN-API-001]/' broken/unserved-clause/$P/standard.yaml
mk yaml-tag; sed -i 's#^owner:#evil: !!python/object/apply:os.system ["echo pwned"]\nowner:#' broken/yaml-tag/$P/standard.yaml
mk bad-export-example; sed -i '2s/11010519491231002X/110105194912310021/' broken/bad-export-example/$P/examples/people.jsonl
# Hostile standards (issue 7): each must give a located lint error, never a hang.
mk pattern-backtracking; sed -i 's/"pattern": "\^P\[0-9\]{3}\$"/"pattern": "^(P|P)+[0-9]*$"/' broken/pattern-backtracking/$P/schemas/person.schema.json
mk pattern-properties-backtracking; sed -i 's/"additionalProperties": false,/"additionalProperties": false,\n  "patternProperties": {"^x-(a|a)+$": {"type": "string"}},/' broken/pattern-properties-backtracking/$P/schemas/person.schema.json
mk unsatisfiable-schema; sed -i 's/"minLength": 1, "maxLength": 20/"minLength": 5, "maxLength": 2/' broken/unsatisfiable-schema/$P/schemas/person.schema.json
mk unsatisfiable-parameter; sed -i "s/schema: {type: string, pattern: '\^P\[0-9\]{3}\$'}/schema: {allOf: [{type: string}, {type: integer}]}/" broken/unsatisfiable-parameter/$P/openapi.yaml
mk yaml-billion-laughs; python3 - broken/yaml-billion-laughs/$P/standard.yaml <<'PY'
import sys
rows = ["x-lol:", "  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
rows += [f"  a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
open(sys.argv[1], "a", encoding="utf-8").write("\n".join(rows) + "\n")
PY
mk deep-nesting; python3 - broken/deep-nesting/$P/schemas/person.schema.json <<'PY'
import sys
path = sys.argv[1]
deep = '{"type": "object", "properties": {"x": ' * 40 + '{"type": "string"}' + "}}" * 40
text = open(path, encoding="utf-8").read()
text = text.replace('"born": {"type": "string", "format": "date"}', '"born": {"type": "string", "format": "date"},\n    "deep": ' + deep)
open(path, "w", encoding="utf-8").write(text)
PY

#!/usr/bin/env bash
# Generates the TypeScript stubs of proto/*.proto into src/gen/ (ts-proto, grpc-js services).
# Needs protoc (Debian: protobuf-compiler). The output is committed, so users need no protoc;
# test/contracts checks that it matches the protos.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-src/gen}"
command -v protoc >/dev/null || { echo "gen-proto: protoc is missing (Debian: apt-get install -y protobuf-compiler)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
protoc \
  --plugin=protoc-gen-ts_proto=./node_modules/.bin/protoc-gen-ts_proto \
  --ts_proto_out="$out" \
  --ts_proto_opt=outputServices=grpc-js,esModuleInterop=true,importSuffix=.js,useDate=true,useOptionals=messages,outputJsonMethods=false,outputPartialMethods=false \
  -I proto proto/*.proto

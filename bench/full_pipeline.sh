#!/usr/bin/env bash
# Runs the whole pipeline (pooling-mean) on a database made by bench/generate_db.java, with the
# embedding model replaced by bench/mock_embed_server.java through the remote backend: every
# step does its real work (PostgreSQL reads, texts, tokenizing with the model's tokenizer, HTTP
# batches, the post-vector cache, pooling, upload and verification) except the model's compute,
# which BENCHMARKS.md adds from measured encoder rates.
#
#   bench/full_pipeline.sh JDBC_URL [DATA_DIR]
#
# Environment: DIMENSION (default 1024, the real models' size), MOCK_PORT (default 18181).
# Prints the pipeline's table of stages; /usr/bin/time adds the process's peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${1:?give the JDBC URL of a database made by bench/generate_db.java}"
data="${2:-data/bench/full-pipeline}"
dimension="${DIMENSION:-1024}"
port="${MOCK_PORT:-18181}"
mkdir -p "$data"

./jbang bench/mock_embed_server.java --port "$port" --dimension "$dimension" --threads 2 \
    > "$data/mock.url" 2> "$data/mock.log" &
mock=$!
trap 'kill $mock 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    [[ -s "$data/mock.url" ]] && break
    sleep 1
done
echo "[full_pipeline] mock embedding server at $(cat "$data/mock.url")" >&2

/usr/bin/time -v ./jbang pipeline --db-url "$url" --data-dir "$data" --approaches pooling-mean \
    --remote "$(cat "$data/mock.url")" --remote-api tei --concurrency 4 --remote-batch-size 64 \
    2>&1 | grep -v '^\[jbang\]' | tee "$data/pipeline.log"

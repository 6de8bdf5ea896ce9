"""What starting a command or the server loads: the heavy libraries only one feature needs stay out until
it is used (``quorum serve --with-worker`` and ``quorum demo`` start in about two seconds, not three)."""

from __future__ import annotations

import json
import subprocess
import sys

# Loaded on first use: the openai SDK by the first model call (providers.registry), scipy.stats by the
# quality report's position-bias test. Each costs a third to a half of a second of start-up CPU.
LAZY = ("openai", "scipy.stats")


def test_the_server_and_the_embedded_worker_start_without_the_lazy_libraries() -> None:
    code = (
        "import json, sys\n"
        "import quorum.cli, quorum.web.app, quorum.jobs.worker, uvicorn\n"
        f"print(json.dumps([m for m in {LAZY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_model_call_loads_the_openai_provider() -> None:
    code = (
        "import sys\n"
        "from quorum.providers import registry\n"
        "assert 'openai' not in sys.modules\n"
        "registry.kind('openai')\n"
        "print('openai' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "True"

"""The console scripts as a person runs them: help, exit codes, and the demo path end to end."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
DX_SYNC = str(BIN / "dx-sync")
DX_BOT = str(BIN / "dx-bot")


def run(args: list[str], env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DX_")}
    full_env.update(env or {})
    return subprocess.run(args, env=full_env, capture_output=True, text=True, timeout=timeout)


def wait_for_json(url: str, proc: subprocess.Popen[str], timeout: float = 30) -> dict:
    """GET `url` until the server `proc` started answers it (or it dies, or time runs out)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.load(response)
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise
            time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args", [
    [DX_SYNC, "--help"], [DX_SYNC, "sample", "--help"], [DX_SYNC, "provision", "--help"],
    [DX_SYNC, "plan", "--help"], [DX_SYNC, "run", "--help"], [DX_SYNC, "demo", "--help"],
    [DX_SYNC, "status", "--help"], [DX_SYNC, "schedule", "--help"],
    [DX_BOT, "--help"], [DX_BOT, "serve", "--help"],
])
def test_help_everywhere_documents_exit_codes(args: list[str]) -> None:
    result = run(args)
    assert result.returncode == 0, result.stderr
    assert "exit codes:" in result.stdout and "DX_" in result.stdout


@pytest.mark.parametrize(("env", "setting"), [
    ({"DX_BOT_PORT": "abc"}, "DX_BOT_PORT"),
    ({"DX_STORE": "excel"}, "DX_STORE"),
    ({"DX_STORE": "sharepoint"}, "DX_TENANT_ID"),
])
@pytest.mark.parametrize("tool", [DX_SYNC, DX_BOT])
def test_a_bad_setting_is_one_line_and_exit_2(tool: str, env: dict[str, str], setting: str,
                                              tmp_path: Path) -> None:
    secret = "do-not-print-this-secret"
    args = [tool, "provision"] if tool == DX_SYNC else [tool, "serve"]
    result = run(args, {**env, "DX_DATA_DIR": str(tmp_path), "DX_CLIENT_SECRET": secret})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0], result.stderr
    assert "Traceback" not in result.stderr and secret not in result.stderr + result.stdout


def test_unknown_job_is_a_usage_error(tmp_path: Path) -> None:
    result = run([DX_SYNC, "run", "--job", "payroll"], {"DX_DATA_DIR": str(tmp_path)})
    assert result.returncode == 2 and "payroll" in result.stderr
    assert "nightly" in result.stderr and "staff" in result.stderr


def test_sample_provision_plan_run_and_safety_stop(tmp_path: Path) -> None:
    env = {"DX_DATA_DIR": str(tmp_path)}
    sample = run([DX_SYNC, "sample", "--staff", "400", "--seed", "3"], env)
    assert sample.returncode == 0, sample.stderr
    assert "400" in sample.stdout and (tmp_path / "sources" / "staff.csv").exists()

    unprovisioned = run([DX_SYNC, "run"], env)
    assert unprovisioned.returncode == 1 and "dx-sync provision" in unprovisioned.stderr

    provision = run([DX_SYNC, "provision", "--json"], env)
    assert provision.returncode == 0, provision.stderr
    assert {r["list"] for r in json.loads(provision.stdout)} >= {"Staff", "FAQ", "Proposals"}
    again = json.loads(run([DX_SYNC, "provision", "--json"], env).stdout)
    assert not any(r["created"] or r["added_columns"] for r in again)

    planned = run([DX_SYNC, "plan", "--json"], env)
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["Staff"]["create"] == 400

    first = run([DX_SYNC, "run", "--json"], env)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert set(report["totals"]) == {"created", "updated", "deactivated", "deleted", "unchanged", "failed",
                                     "requests"}
    assert report["totals"]["requests"] == 0  # the embedded store sends no HTTP
    assert report["totals"]["created"] > 8000 and report["totals"]["failed"] == 0
    assert report["lists"]["Staff"]["created"] == 400
    assert all(lst["seconds"] > 0 for lst in report["lists"].values())
    assert sum(lst["seconds"] for lst in report["lists"].values()) <= report["seconds"]

    second = json.loads(run([DX_SYNC, "run", "--json"], env).stdout)
    assert second["totals"]["created"] == second["totals"]["updated"] == 0

    staff = tmp_path / "sources" / "staff.csv"
    staff.write_bytes(b"\r\n".join(staff.read_bytes().split(b"\r\n")[:101]) + b"\r\n")
    stopped = run([DX_SYNC, "run", "--job", "staff"], env)
    assert stopped.returncode == 3, stopped.stdout + stopped.stderr
    assert "--force" in stopped.stdout

    status = run([DX_SYNC, "status", "--json"], env)
    assert status.returncode == 0, status.stderr
    status_doc = json.loads(status.stdout)
    runs = status_doc["runs"]
    assert {n["job"] for n in status_doc["next"]} == {"nightly", "completions-daytime"}
    assert all(n["next_run"].endswith("+09:00") for n in status_doc["next"])
    # Newest first; the very first attempt, before provisioning, is recorded as failed.
    assert [r["status"] for r in runs] == ["stopped", "ok", "ok", "failed"]
    assert [r["job"] for r in runs] == ["staff", "all", "all", "all"]
    assert runs[2]["totals"]["created"] == report["totals"]["created"]
    table = run([DX_SYNC, "status"], env).stdout
    assert "停止 stopped" in table and "成功 ok" in table and "nightly" in table


def test_demo_then_serve_answers_healthz_with_the_sample_city(tmp_path: Path) -> None:
    env = {"DX_DATA_DIR": str(tmp_path), "DX_BOT_PORT": str(free_port())}
    demo = run([DX_SYNC, "demo"], env, timeout=300)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    seeded = run([DX_BOT, "faq", "seed"], env)
    assert seeded.returncode == 0 and "FAQ を 45 件登録しました" in seeded.stdout, seeded.stderr
    rerun = run([DX_SYNC, "demo"], env, timeout=300)
    assert rerun.returncode == 0 and "作成済み" in rerun.stdout
    again = run([DX_BOT, "faq", "seed"], env)
    assert again.returncode == 0 and "45 entries; left as it is" in again.stdout

    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DX_")} | env
    server = subprocess.Popen([DX_BOT, "serve"], env=full_env, stderr=subprocess.PIPE, text=True)
    try:
        health = wait_for_json(f"http://127.0.0.1:{env['DX_BOT_PORT']}/healthz", server)
        assert health["status"] == "ok" and health["store"] == "sqlite"
        assert health["lists"]["Staff"] == 2000 and health["lists"]["FAQ"] == 45
        assert health["lists"]["CourseCompletions"] > 40000
    finally:
        server.terminate()
        _, err = server.communicate(timeout=10)
    assert "LOCAL MODE" in err


def test_schedule_serves_health_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DX_")} | {
        "DX_DATA_DIR": str(tmp_path), "DX_SYNC_HEALTH_PORT": str(port)}
    proc = subprocess.Popen([DX_SYNC, "schedule"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        health = wait_for_json(f"http://127.0.0.1:{port}/healthz", proc)
        assert health["status"] == "ok"
        jobs = {j["name"]: j for j in health["jobs"]}
        assert set(jobs) == {"nightly", "completions-daytime"}
        assert jobs["nightly"]["cron"] == "30 2 * * *" and jobs["nightly"]["next_run"]
        assert jobs["completions-daytime"]["resources"] == ["completions"]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "scheduler stopped" in err and "next run" in err


def test_one_sync_per_data_directory_and_every_skipped_row_is_listed(tmp_path: Path) -> None:
    from graph_sync.lock import FileRunLock

    data = tmp_path / "var"
    env = {"DX_DATA_DIR": str(data)}
    assert run([DX_SYNC, "sample", "--staff", "300", "--seed", "5"], env).returncode == 0
    assert run([DX_SYNC, "provision"], env).returncode == 0

    held = FileRunLock(data / "locks")
    assert asyncio.run(held.acquire())  # as a scheduled job in another process would
    try:
        busy = run([DX_SYNC, "run"], env)
        planned = run([DX_SYNC, "plan"], env)
    finally:
        asyncio.run(held.release())
    assert busy.returncode == 4 and planned.returncode == 4, busy.stdout + busy.stderr
    assert "another sync run" in busy.stderr and "Traceback" not in busy.stderr
    assert run([DX_SYNC, "status", "--json"], env).stdout.count('"id"') == 0  # nothing ran

    completions = data / "sources" / "completions.csv"
    lines = completions.read_bytes().split(b"\r\n")
    for i in range(1, 61):  # 60 bad rows: more than any summary shows
        lines[i] = b"=HYPERLINK(1)," + lines[i].split(b",", 1)[1]
    completions.write_bytes(b"\r\n".join(lines))
    errors_file = tmp_path / "errors.csv"
    result = run([DX_SYNC, "run", "--json", "--errors", str(errors_file)], env)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["row_error_count"] == 60 and len(report["row_errors"]) == 60
    text = errors_file.read_bytes().decode("utf-8-sig")
    assert text.count("completions.csv") == 60


@pytest.mark.parametrize("case", ["data dir is a file", "sources dir is a file", "env not utf-8",
                                  "host unresolvable", "port in use"])
def test_environment_problems_are_one_line_and_exit_2(tmp_path: Path, case: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    env = {"DX_DATA_DIR": str(tmp_path / "var")}
    cwd = None
    holder = None
    if case == "data dir is a file":
        env["DX_DATA_DIR"], setting = str(a_file), "DX_DATA_DIR"
    elif case == "sources dir is a file":
        env["DX_SOURCES_DIR"], setting = str(a_file), "DX_SOURCES_DIR"
    elif case == "env not utf-8":
        (tmp_path / ".env").write_bytes("DX_LOG_LEVEL=INFO # 設定\n".encode("cp932"))
        cwd, setting = tmp_path, ".env"
    elif case == "host unresolvable":
        env["DX_BOT_HOST"], setting = "no-such-host.invalid", "DX_BOT_HOST"
    else:
        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        env["DX_BOT_PORT"], setting = str(holder.getsockname()[1]), "DX_BOT_PORT"
    tools = [[DX_SYNC, "status"], [DX_BOT, "serve"]] if case in (
        "data dir is a file", "sources dir is a file", "env not utf-8") else [[DX_BOT, "serve"]]
    if case in ("host unresolvable", "port in use"):
        assert run([DX_SYNC, "demo", "--staff", "300"], env, timeout=300).returncode == 0
    try:
        for args in tools:
            full_env = {k: v for k, v in os.environ.items() if not k.startswith("DX_")} | env
            result = subprocess.run(args, env=full_env, cwd=cwd, capture_output=True, text=True, timeout=120)
            assert result.returncode == 2, (args, result.stderr)
            errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
            assert len(errors) == 1 and setting in errors[0], result.stderr
            assert "Traceback" not in result.stderr
    finally:
        if holder is not None:
            holder.close()


def test_an_oversized_cell_in_an_export_is_one_clear_line(tmp_path: Path) -> None:
    env = {"DX_DATA_DIR": str(tmp_path)}
    assert run([DX_SYNC, "sample", "--staff", "300", "--seed", "2"], env).returncode == 0
    assert run([DX_SYNC, "provision"], env).returncode == 0
    staff = tmp_path / "sources" / "staff.csv"
    lines = staff.read_bytes().split(b"\r\n")
    number, name, rest = lines[5].split(b",", 2)
    lines[5] = b",".join([number, "長".encode("cp932") * 140_000, rest])
    staff.write_bytes(b"\r\n".join(lines))
    result = run([DX_SYNC, "run", "--job", "staff"], env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "too long" in result.stdout and "staff.csv" in result.stdout


@pytest.mark.parametrize("target", ["folder", "missing folder", "an export", "state"])
def test_errors_file_is_checked_before_anything_runs(tmp_path: Path, target: str) -> None:
    env = {"DX_DATA_DIR": str(tmp_path / "var")}
    assert run([DX_SYNC, "sample", "--staff", "300", "--seed", "4"], env).returncode == 0
    assert run([DX_SYNC, "provision"], env).returncode == 0
    staff = tmp_path / "var" / "sources" / "staff.csv"
    before = staff.read_bytes()
    path = {"folder": tmp_path, "missing folder": tmp_path / "no" / "errors.csv",
            "an export": staff, "state": tmp_path / "var" / "errors.csv"}[target]
    for command in ("plan", "run"):
        result = run([DX_SYNC, command, "--errors", str(path)], env)
        assert result.returncode == 2, (command, result.stderr)
        assert "--errors" in result.stderr and "Traceback" not in result.stderr
    assert staff.read_bytes() == before
    assert json.loads(run([DX_SYNC, "status", "--json"], env).stdout)["runs"] == []

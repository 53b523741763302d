"""Steps that run the installed lockspec command as an operator would."""

from __future__ import annotations

import fnmatch
import json
import signal
import socket
from pathlib import Path

from behave import then, when
from behave.model import Table
from behave.runner import Context
from hamcrest import assert_that, contains_exactly, contains_string, equal_to, greater_than, has_length, is_

from steps.support.processes import (
    Finished,
    Process,
    command_line,
    finish,
    operator_environment,
    read_line,
    start,
    stop,
)


def _places(context: Context) -> dict[str, Path]:
    return {"LOCK_DIR": context.world.lock_dir, "LOG": context.world.lock_dir.parent / "log"}


@when('the operator runs "{command}"')
def run_command(context: Context, command: str) -> None:
    _run(context, command, with_variable=False)


@when('the operator runs "{command}" with LOCKSPEC_DIR set to the lock directory')
def run_command_with_variable(context: Context, command: str) -> None:
    _run(context, command, with_variable=True)


@when('the operator starts "{command}" as run {label}')
def start_command(context: Context, command: str, label: str) -> None:
    process = start(command_line(command, _places(context)), operator_environment(None))
    context.add_cleanup(stop, process)
    context.runs = {**getattr(context, "runs", {}), label: process}


@when('run {label} has printed "{line}"')
def has_printed(context: Context, label: str, line: str) -> None:
    assert_that(read_line(context.runs[label]), equal_to(line), f"the next line run {label} printed")


@when('run {label} has reported that "{resource}" is held')
def reported_held(context: Context, label: str, resource: str) -> None:
    _wait_for_report(context.runs[label], f"{resource!r} is held by")


@when('run {label} has reported "{text}"')
def reported(context: Context, label: str, text: str) -> None:
    _wait_for_report(context.runs[label], text)


@when("run {label} is told to finish")
def tell_to_finish(context: Context, label: str) -> None:
    stdin = context.runs[label].stdin
    assert stdin is not None
    stdin.write(b"go\n")


@when("run {label} is sent SIGTERM")
def send_sigterm(context: Context, label: str) -> None:
    context.runs[label].send_signal(signal.SIGTERM)


@then("run {label} ends with status {status:d}")
def run_ends(context: Context, label: str, status: int) -> None:
    done = finish(context.runs[label])
    assert_that(done.status, equal_to(status), f"exit status of run {label}; it said: {done.err}")


@then("the command succeeds")
def succeeds(context: Context) -> None:
    done: Finished = context.finished
    assert_that(done.status, equal_to(0), f"exit status; the command said: {done.err}")


@then("the command exits with status {status:d}")
def exits_with(context: Context, status: int) -> None:
    done: Finished = context.finished
    assert_that(done.status, equal_to(status), f"exit status; the command said: {done.err}")


@then('its error output is one line naming "{text}"')
def one_line_error(context: Context, text: str) -> None:
    lines = context.finished.err.splitlines()
    assert_that(lines, has_length(1), "lines on stderr (one, and no traceback)")
    assert_that(lines[0], contains_string(text))


@then('its error output logs "{text}"')
def error_output_logs(context: Context, text: str) -> None:
    assert_that(context.finished.err, contains_string(text), "what the command logged on stderr")


@then("its output says:")
def output_says(context: Context) -> None:
    expected = context.text.splitlines()
    lines = context.finished.out.splitlines()
    assert_that(lines, has_length(len(expected)), f"lines of output:\n{context.finished.out}")
    for line, pattern in zip(lines, expected, strict=True):
        assert_that(fnmatch.fnmatchcase(line, pattern), is_(True), f"{line!r} reads like {pattern!r}")


@then("its output is a table with the rows:")
def output_table(context: Context) -> None:
    lines = context.finished.out.splitlines()
    assert_that(len(lines), greater_than(0), f"lines of output; the command said: {context.finished.err}")
    header = lines[0]
    starts = [header.index(name) for name in header.split("  ") if name]
    columns = [header[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)]
    rows = [
        dict(
            zip(
                columns,
                (line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)),
                strict=True,
            )
        )
        for line in lines[1:]
    ]
    _assert_rows(rows, context.table)


@then("its output is a JSON document of schema {schema:d} whose leases are:")
def output_json(context: Context, schema: int) -> None:
    document = json.loads(context.finished.out)
    assert_that(document["schema"], equal_to(schema), "the document's schema")
    assert_that(document["lock_dir"], equal_to(str(context.world.lock_dir)), "the lock directory it names")
    _assert_rows([{key: str(value) for key, value in lease.items()} for lease in document["leases"]], context.table)


@then("the log reads:")
def log_reads(context: Context) -> None:
    log = context.world.lock_dir.parent / "log"
    assert_that(log.read_text().splitlines(), contains_exactly(*context.text.splitlines()), "the log, line by line")


@then("the log is empty")
def log_empty(context: Context) -> None:
    log = context.world.lock_dir.parent / "log"
    assert_that(log.read_text() if log.exists() else "", equal_to(""), "the log")


def _wait_for_report(process: Process, text: str) -> None:
    """Read the process's stderr until a line contains ``text`` (each read bounded)."""
    while text not in read_line(process, stream="stderr"):
        pass


def _run(context: Context, command: str, *, with_variable: bool) -> None:
    words = command_line(command, _places(context))
    process = start(words, operator_environment(context.world.lock_dir if with_variable else None))
    context.add_cleanup(stop, process)
    context.finished = finish(process)


def _assert_rows(rows: list[dict[str, str]], table: Table) -> None:
    expected = [dict(zip(table.headings, row.cells, strict=True)) for row in table]
    assert_that(rows, has_length(len(expected)), f"rows listed: {rows}")
    for row, wanted in zip(rows, expected, strict=True):
        for column, written in wanted.items():
            value = row.get(column, "")
            pattern = socket.gethostname() if written == "this host" else written
            assert_that(fnmatch.fnmatchcase(value, pattern), is_(True), f"{column} {value!r} reads like {pattern!r}")

"""Steps that run the installed lockspec command as an operator would."""

from __future__ import annotations

import contextlib
import fnmatch
import io
import json
import logging
import os
import signal
import socket
import time

from behave import given, then, when
from behave.model import Table
from behave.runner import Context
from hamcrest import (
    assert_that,
    contains_exactly,
    contains_string,
    empty,
    ends_with,
    equal_to,
    greater_than,
    greater_than_or_equal_to,
    has_length,
    is_,
)

from lockspec.cli import main
from steps.support.processes import (
    Finished,
    Process,
    command_line,
    finish,
    operator_environment,
    operator_words,
    read_line,
    shell_line,
    start,
    stop,
)


class _Run:
    """A command started in the background, and what the steps have read of its error output so far."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.stderr_read: list[str] = []
        self.finished: Finished | None = None
        self.ended_at_s = 0.0

    def read_error_line(self) -> str:
        line = read_line(self.process, stream="stderr")
        self.stderr_read.append(line)
        return line

    def finish(self) -> Finished:
        """Let it end; what it wrote on stderr includes the lines the steps already read."""
        done = finish(self.process)
        #: When it was seen to have ended: at its end or later, whatever the machine's load.
        self.ended_at_s = time.monotonic()
        self.finished = Finished(done.status, done.out, "".join(f"{line}\n" for line in self.stderr_read) + done.err)
        return self.finished


def _places(context: Context) -> dict[str, str]:
    """What ``$NAME`` stands for in an operator's command: the store, the lock directory, the scenario's folder."""
    folder = context.world.lock_dir.parent
    return {
        "STORE": context.world.store.url(),
        "LOCK_DIR": str(context.world.lock_dir),
        "FOLDER": str(folder),
        "LOG": str(folder / "log"),
    }


def _run_of(context: Context, label: str) -> _Run:
    run: _Run = context.runs[label]
    return run


@when('the operator runs "{command}"')
def run_command(context: Context, command: str) -> None:
    _run(context, command)


@when('the operator runs "{command}" at that very instant')
def run_at_this_instant(context: Context, command: str) -> None:
    # A command of its own would read the real clock; run in this process, it reads the scenario's frozen one.
    words = operator_words(command, _places(context))
    assert_that(words[0], equal_to("lockspec"), "the command the operator runs in this process")
    out, err = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = main(words[1:])
    finally:
        root.handlers[:], root.level = handlers, level
    context.finished = Finished(status, out.getvalue(), err.getvalue())


@when('the operator runs "{command}" in a shell')
def run_in_shell(context: Context, command: str) -> None:
    # The operator's shell finds the installed lockspec on its PATH.
    process = start(["sh", "-c", shell_line(command, _places(context))], operator_environment())
    context.add_cleanup(stop, process)
    context.finished = finish(process)


@when('the operator runs "{command}" with its output going to a reader that has already gone')
def run_into_gone_reader(context: Context, command: str) -> None:
    # A pipe whose reading end is closed: the command's first write finds it broken, whatever it writes.
    reading, writing = os.pipe()
    os.close(reading)
    try:
        process = start(command_line(command, _places(context)), operator_environment(), stdout=writing)
    finally:
        os.close(writing)
    context.add_cleanup(stop, process)
    context.finished = finish(process)


@when('the operator runs "{command}" with {variable} set to the {place}')
def run_command_with_variable(context: Context, command: str, variable: str, place: str) -> None:
    places = {"store": context.world.store.url(), "lock directory": str(context.world.lock_dir)}
    _run(context, command, {variable: places[place]})


@when('the operator starts "{command}" as run {label}')
def start_command(context: Context, command: str, label: str) -> None:
    process = start(command_line(command, _places(context)), operator_environment())
    context.add_cleanup(stop, process)
    context.runs = {**getattr(context, "runs", {}), label: _Run(process)}


@when('run {label} has printed "{line}"')
def has_printed(context: Context, label: str, line: str) -> None:
    assert_that(read_line(_run_of(context, label).process), equal_to(line), f"the next line run {label} printed")


@when('run {label} has reported that "{resource}" is held')
def reported_held(context: Context, label: str, resource: str) -> None:
    _wait_for_report(_run_of(context, label), f"{resource!r} is held by")


@when('run {label} has reported "{text}"')
def reported(context: Context, label: str, text: str) -> None:
    _wait_for_report(_run_of(context, label), text)


@when("run {label} is told to finish")
def tell_to_finish(context: Context, label: str) -> None:
    stdin = _run_of(context, label).process.stdin
    assert stdin is not None
    stdin.write(b"go\n")


@when("run {label} is sent {name:Signal}")
def send_signal(context: Context, label: str, name: signal.Signals) -> None:
    _run_of(context, label).process.send_signal(name)


@then("run {label} ends with status {status:d}")
def run_ends(context: Context, label: str, status: int) -> None:
    done = _run_of(context, label).finish()
    assert_that(done.status, equal_to(status), f"exit status of run {label}; it said: {done.err}")


@then("run {label} ended no sooner than {bound:Duration} after the operator's command started")
def ended_no_sooner(context: Context, label: str, bound: float) -> None:
    # From its start, not its end: the run may learn of the loss before that command has exited.
    run = _run_of(context, label)
    assert run.finished is not None, f"run {label} has not ended yet"
    took_ms = (run.ended_at_s - context.started_at_s) * 1000
    assert_that(took_ms, greater_than_or_equal_to(bound), f"ms from the operator's command to run {label}'s end")


@then("run {label} wrote no traceback")
def no_traceback(context: Context, label: str) -> None:
    done = _run_of(context, label).finished
    assert done is not None, f"run {label} has not ended yet"
    assert_that("Traceback" in done.err, is_(False), f"a traceback in what run {label} wrote on stderr: {done.err}")


@then('run {label} said once, in one line, that it lost the lease on "{resource}"')
def said_lost_once(context: Context, label: str, resource: str) -> None:
    _said_about_loss(context, label, resource)


@then('run {label} said once, in one line, that it lost the lease on "{resource}", and stops the command with {how}')
def said_lost_and_stopping(context: Context, label: str, resource: str, how: str) -> None:
    line = _said_about_loss(context, label, resource)
    assert_that(line, ends_with(f"; stopping the command ({how})"), f"what run {label} said about its loss")


def _said_about_loss(context: Context, label: str, resource: str) -> str:
    """The one line the run wrote about a loss, checked to name ``resource``."""
    done = _run_of(context, label).finished
    assert done is not None, f"run {label} has not ended yet"
    about_loss = [line for line in done.err.splitlines() if "lost" in line]
    assert_that(about_loss, has_length(1), f"lines of run {label}'s error output about a loss:\n{done.err}")
    assert_that(about_loss[0], contains_string(f"lost the lease on {resource}"))
    return about_loss[0]


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


@then("its error output is empty")
def error_output_empty(context: Context) -> None:
    assert_that(context.finished.err, equal_to(""), "what the command wrote on stderr")


@given('a folder "{name}" next to the lock directory, which lockspec never used')
def untouched_folder(context: Context, name: str) -> None:
    (context.world.lock_dir.parent / name).mkdir()


@then('the folder "{name}" next to the lock directory is still empty')
def still_empty(context: Context, name: str) -> None:
    inside = sorted(path.name for path in (context.world.lock_dir.parent / name).iterdir())
    assert_that(inside, is_(empty()), f"what {name} holds")


@then('its error output logs "{text}"')
def error_output_logs(context: Context, text: str) -> None:
    assert_that(context.finished.err, contains_string(text), "what the command logged on stderr")


@then('its output writes "{text}" as it is, not escaped')
def output_writes(context: Context, text: str) -> None:
    assert_that(context.finished.out, contains_string(text), "what the command wrote on stdout")


@then("its output says:")
def output_says(context: Context) -> None:
    expected = context.world.expand(context.text).splitlines()
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
    _assert_rows(context, rows, context.table)


@then("its output is a JSON document of schema {schema:d} whose leases are:")
def output_json(context: Context, schema: int) -> None:
    document = json.loads(context.finished.out)
    assert_that(document["schema"], equal_to(schema), "the document's schema")
    # The command may have looked at the lock directory whatever the world's store (LOCKSPEC_DIR).
    on_files = document["store"] == str(context.world.lock_dir)
    lock_dir = str(context.world.lock_dir) if on_files else None
    assert_that(document["lock_dir"], equal_to(lock_dir), "the lock directory it names (null off files)")
    _assert_rows(
        context, [{key: str(value) for key, value in lease.items()} for lease in document["leases"]], context.table
    )


@then("the log reads:")
def log_reads(context: Context) -> None:
    log = context.world.lock_dir.parent / "log"
    lines = log.read_text().splitlines() if log.exists() else []
    assert_that(lines, contains_exactly(*context.text.splitlines()), "the log, line by line (none: no log written)")


@then("the log is empty")
def log_empty(context: Context) -> None:
    log = context.world.lock_dir.parent / "log"
    assert_that(log.read_text() if log.exists() else "", equal_to(""), "the log")


def _wait_for_report(run: _Run, text: str) -> None:
    """Read the run's stderr until a line contains ``text`` (each read bounded)."""
    while text not in run.read_error_line():
        pass


def _run(context: Context, command: str, variables: dict[str, str] | None = None) -> None:
    words = command_line(command, _places(context))
    context.started_at_s = time.monotonic()
    process = start(words, operator_environment(variables))
    context.add_cleanup(stop, process)
    context.finished = finish(process)


def _assert_rows(context: Context, rows: list[dict[str, str]], table: Table) -> None:
    expected = [dict(zip(table.headings, map(context.world.expand, row.cells), strict=True)) for row in table]
    assert_that(rows, has_length(len(expected)), f"rows listed: {rows}")
    for row, wanted in zip(rows, expected, strict=True):
        for column, written in wanted.items():
            value = row.get(column, "")
            pattern = socket.gethostname() if written == "this host" else written
            assert_that(fnmatch.fnmatchcase(value, pattern), is_(True), f"{column} {value!r} reads like {pattern!r}")

"""Steps about what lies in the lock directory: lease files, unreadable files, stray files."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import time
from pathlib import Path

from behave import given, then
from behave.runner import Context
from hamcrest import (
    all_of,
    assert_that,
    contains_exactly,
    contains_string,
    empty,
    equal_to,
    greater_than_or_equal_to,
    has_length,
    instance_of,
    is_,
    less_than_or_equal_to,
)

from lockspec.inspection import LeaseStatus
from lockspec.policy import LeaseState
from lockspec.stores.file.naming import LEASE_SUFFIX, lease_file_name
from steps.support import parameters  # noqa: F401  (registers the parameter types)

_KINDS = {"directory": stat.S_ISDIR, "FIFO": stat.S_ISFIFO, "socket": stat.S_ISSOCK, "symbolic link": stat.S_ISLNK}


@given("the file \"{file_name}\" in the lock directory contains '{contents:Text}'")
def plant_file(context: Context, file_name: str, contents: str) -> None:
    context.world.file_store()
    (context.world.lock_dir / file_name).write_text(contents, encoding="utf-8")


@given("the lock directory was removed underneath the instances")
def remove_lock_dir(context: Context) -> None:
    shutil.rmtree(context.world.lock_dir)


@given('the lock directory\'s "{folder}" folder was replaced by a regular file')
def replace_folder_by_file(context: Context, folder: str) -> None:
    shutil.rmtree(context.world.lock_dir / folder, ignore_errors=True)
    (context.world.lock_dir / folder).write_text("a file, not a folder")


@given('the lease path of "{resource}" is {thing}')
def plant_thing(context: Context, resource: str, thing: str) -> None:
    path = context.world.lease_path(resource)
    context.world.file_store()
    if thing == "a directory":
        path.mkdir()
        (path / "inside.txt").write_text("kept")
    elif thing == "a FIFO":
        os.mkfifo(path)
    elif thing == "a unix socket":
        os.mknod(path, stat.S_IFSOCK | 0o600)  # as a server's bind leaves it, whatever the path's length
    elif thing == "a symbolic link to a file outside the lock directory":
        path.symlink_to(context.world.plant_outside("secret.txt"))
    elif thing == "a symbolic link to a folder outside the lock directory":
        path.symlink_to(context.world.plant_outside("elsewhere/data.txt").parent)
    elif thing == "a dangling symbolic link":
        path.symlink_to(context.world.lock_dir.parent / "nowhere")
    else:
        raise NotImplementedError(f"no way to plant {thing!r} yet")
    context.outside_before = context.world.outside()


@given('an older lockspec set aside the unreadable lease of "{resource}", naming it without the time')
def set_aside_by_older_lockspec(context: Context, resource: str) -> None:
    folder = context.world.file_store().unreadable_folder
    folder.mkdir(parents=True, exist_ok=True)
    context.set_aside_from_ms = time.time_ns() // 1_000_000
    (folder / lease_file_name(resource)).write_bytes(b"INVALID{JSON")


@then(
    'instance {name}\'s status dates what was set aside of "{resource}" from when it was put there,'
    " give or take {slack:Duration}"
)
def set_aside_dated(context: Context, name: str, resource: str, slack: float) -> None:
    entries: list[LeaseStatus] = context.world.outcome(name)
    aside = [entry for entry in entries if entry.resource == resource and entry.state is LeaseState.SET_ASIDE]
    assert_that(aside, has_length(1), f"what {name}'s status lists as set aside of {resource!r}: {entries}")
    assert_that(aside[0].set_aside_at_ms, instance_of(int), "when it was set aside: whole epoch milliseconds")
    assert_that(
        aside[0].set_aside_at_ms,
        all_of(
            greater_than_or_equal_to(context.set_aside_from_ms - slack),
            less_than_or_equal_to(time.time_ns() // 1_000_000 + slack),
        ),
        "when it was set aside (epoch ms), against the time it was put there",
    )


@given('the path "{name}" next to the lock directory is a regular file')
def plant_file_next_to(context: Context, name: str) -> None:
    (context.world.lock_dir.parent / name).write_text("a file, not a folder")


@then('the lease file of "{resource}" is "{file_name}" in the lock directory')
def lease_file_named(context: Context, resource: str, file_name: str) -> None:
    leases = sorted(path.name for path in context.world.lock_dir.glob("*" + LEASE_SUFFIX))
    assert_that(leases, contains_exactly(file_name), "the lease files in the lock directory")


@then("the lease file of that resource is named {form}")
def long_name_lease_file(context: Context, form: str) -> None:
    name = context.long_name
    # Written out from the file format itself, not from lockspec's naming code: a name of letters r only,
    # which percent-encoding leaves as it is.
    expected = {
        "after it": f"{name}.lock",
        "after it, encoded": f"%{name}.lock",
        "by its hash": f"~{hashlib.sha256(name.encode()).hexdigest()}.lock",
    }[form]
    leases = sorted(path.name for path in context.world.lock_dir.glob("*" + LEASE_SUFFIX))
    assert_that(leases, contains_exactly(expected), "the lease files in the lock directory")


@then('there is no folder "{name}" in the lock directory')
def no_folder(context: Context, name: str) -> None:
    assert_that(os.path.lexists(context.world.lock_dir / name), is_(False), f"{name} exists in the lock directory")


@then("the lock directory does not exist")
def lock_dir_absent(context: Context) -> None:
    assert_that(context.world.lock_dir.exists(), is_(False), f"{context.world.lock_dir} exists")


@then("the {thing} was kept aside")
def thing_kept_aside(context: Context, thing: str) -> None:
    kept = _the_one_kept_aside(context)
    assert_that(_KINDS[thing](os.lstat(kept).st_mode), is_(True), f"the entry kept aside is a {thing}")


@then("nothing outside the lock directory was touched")
def outside_untouched(context: Context) -> None:
    before = getattr(context, "outside_before", {})
    assert_that(context.world.outside(), equal_to(before), "the files outside the lock directory")


@then("its lease file lies directly in the lock directory")
def lease_directly_inside(context: Context) -> None:
    lease = context.world.outcome(context.world.last_actor)
    path = context.world.lease_path(lease.resource)
    assert_that(path.parent, equal_to(context.world.lock_dir), "the folder holding the lease file")
    assert_that(path.is_file(), is_(True), f"{path} is a file")


@then("every lease file name is at most {limit:d} bytes long")
def lease_names_short(context: Context, limit: int) -> None:
    lengths = [len(path.name.encode()) for path in context.world.lock_dir.glob("*" + LEASE_SUFFIX)]
    assert_that(lengths, has_length(greater_than_or_equal_to(2)), "lease files present")
    for length in lengths:
        assert_that(length, less_than_or_equal_to(limit), "length in bytes of a lease file name")


@then('no lease file of "{resource}" was left behind')
def no_lease_left(context: Context, resource: str) -> None:
    assert_that(os.path.lexists(context.world.lease_path(resource)), is_(False), f"a lease file of {resource!r}")
    _assert_nothing_pending(context)


@then('a{level:Level} about "{text}" was logged')
def was_logged(context: Context, level: int, text: str) -> None:
    logged = "\n".join(r.getMessage() for r in context.log_records if r.levelno >= level)
    expected = context.world.expand(text)
    assert_that(logged, contains_string(expected), f"what lockspec logged at {logging.getLevelName(level)} or above")


@then('nothing about "{text}" was logged')
def nothing_logged_about(context: Context, text: str) -> None:
    logged = [r.getMessage() for r in context.log_records if text in r.getMessage()]
    assert_that(logged, is_(empty()), f"what lockspec logged about {text!r}")


@then("nothing was logged at warning level or above")
def nothing_warned(context: Context) -> None:
    logged = [r.getMessage() for r in context.log_records if r.levelno >= logging.WARNING]
    assert_that(logged, is_(empty()), "what lockspec logged at WARNING or above")


def _assert_nothing_pending(context: Context) -> None:
    leftovers = sorted(path.name for path in context.world.file_store().bookkeeping_folder.glob("pending-*"))
    assert_that(leftovers, is_(empty()), "half-written lease files left behind")


def _the_one_kept_aside(context: Context) -> Path:
    kept: list[Path] = list(context.world.file_store().unreadable_folder.iterdir())
    assert_that(kept, has_length(1), "entries kept aside as unreadable")
    return kept[0]


@given("the lock directory already exists with mode {mode}")
def existing_lock_dir(context: Context, mode: str) -> None:
    context.world.lock_dir.mkdir()
    context.world.lock_dir.chmod(int(mode, 8))


@then("the lock directory has mode {mode}")
def lock_dir_mode(context: Context, mode: str) -> None:
    assert_that(_mode_of(context.world.lock_dir), equal_to(mode), "the lock directory's mode")


@then("every folder in it has mode {mode}, and every file lockspec wrote mode {file_mode}")
def modes_inside(context: Context, mode: str, file_mode: str) -> None:
    store = context.world.file_store()
    # Files moved aside as unreadable keep the mode whoever wrote them gave them.
    entries = [path for path in store.lock_dir.rglob("*") if store.unreadable_folder not in path.parents]
    found = {str(path.relative_to(store.lock_dir)): _mode_of(path) for path in entries}
    expected = {str(path.relative_to(store.lock_dir)): mode if path.is_dir() else file_mode for path in entries}
    assert_that(found, equal_to(expected), "the modes of the folders and of the files lockspec wrote")
    assert_that(store.unreadable_folder.is_dir(), is_(True), "the folder of unreadable files was made")


@then('the folder "{name}" next to the lock directory has mode {mode}')
def folder_mode(context: Context, name: str, mode: str) -> None:
    assert_that(_mode_of(context.world.lock_dir.parent / name), equal_to(mode), f"the mode of {name}")


def _mode_of(path: Path) -> str:
    return f"{stat.S_IMODE(path.lstat().st_mode):04o}"


@then("the file \"{file_name}\" in the lock directory still contains '{contents:Text}'")
def file_still_contains(context: Context, file_name: str, contents: str) -> None:
    assert_that((context.world.lock_dir / file_name).read_text(encoding="utf-8"), equal_to(contents))

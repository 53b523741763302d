"""Mutation testing of lockspec: would the specification notice if the code were wrong.

    pip install -r requirements-mutation.txt
    python tools/mutation.py [--module lockspec/backoff.py ... | --gated] [--line N ...] [--sample N --seed S]
                             [--workers K] [--fail-under P]

cosmic-ray (8.7, its default operators) makes the mutants: each is one
small change of one module (a ``<`` for a ``<=``, a dropped ``not``, a
constant off by one, ...). Each mutant is applied to a copy of the working
tree of its own worker, and the specification runs against it in the worlds
that can notice a change of that module (``WORLDS_OF``), fastest first,
stopping at the first failing scenario: a mutant is *killed* when a world
fails (or runs past its timeout: three times its time unmutated, plus 10
s), and *survives* when every world passes. Mutants listed in
``tools/equivalent_mutants.toml`` change nothing observable and are counted
apart, each with its reason; so are those that change only a type
annotation, which ``from __future__ import annotations`` (in every module)
leaves a string that nothing evaluates.

Writes to ``reports/mutation/``: ``summary.md`` (the table per module),
``summary.json`` (for CI) and, per module, the survivors with their diffs.
Exits 1 if a module's score (killed / not equivalent) is under
``--fail-under`` (default 0: report only); with ``--sample``, if the
sample's score as a whole is (a sample holds a few mutants per module).
Exits 2 before testing anything if a mutant listed as equivalent is no
longer made (its line changed): its reason must be read again.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import dataclasses
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path

from cosmic_ray.ast import ast_nodes, get_ast_from_path
from cosmic_ray.mutating import mutate_code
from cosmic_ray.plugins import get_operator, operator_names

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENTS = ROOT / "tools" / "equivalent_mutants.toml"
REPORTS = ROOT / "reports" / "mutation"

#: Tags no mutation run needs: the long torture and stress runs repeat what the others check.
_QUICK = "not @slow and not @stress"

_CLI_FEATURES = [
    "features/cli.status.feature",
    "features/cli.status_instants.feature",
    "features/cli.cleanup.feature",
    "features/cli.run.feature",
]

#: The runs of the specification, by name; each is one behave command.
WORLDS: dict[str, list[str]] = {
    "memory": ["-D", "store=memory", f"--tags={_QUICK}"],
    "file": [f"--tags={_QUICK}"],
    "processes": ["-D", "instances=processes", f"--tags={_QUICK}"],
    "redis": ["-D", "store=redis", f"--tags={_QUICK}"],
    # The features that read the clocks themselves, run first for the clock's mutants: most fail there.
    "real-clock": ["features/lock.real_clock.feature"],
    "server-clock": ["-D", "store=redis", "features/redis.server_clock.feature"],
    "cli": _CLI_FEATURES,
    # What the command line does on a store that is not a lock directory (no folder to refuse, none to make).
    "cli-redis": ["-D", "store=redis", *_CLI_FEATURES],
}

#: The modules CI's sampled check draws from (``--gated``): those a full run found at 90% or more, so
#: that a sample under 90% means the score decayed, not a gap already known. A module joins once it is there.
GATED: tuple[str, ...] = (
    "lockspec/backoff.py",
    "lockspec/cli/__init__.py",
    "lockspec/cli/output.py",
    "lockspec/cli/supervisor.py",
    "lockspec/clock.py",
    "lockspec/connect.py",
    "lockspec/coordinator.py",
    "lockspec/durations.py",
    "lockspec/errors.py",
    "lockspec/fencing.py",
    "lockspec/inspection.py",
    "lockspec/keepalive.py",
    "lockspec/lease.py",
    "lockspec/policy.py",
    "lockspec/stores/entries.py",
    "lockspec/stores/memory.py",
    "lockspec/stores/protocol.py",
    "lockspec/stores/redis/keys.py",
    "lockspec/stores/redis/scripts.py",
    "lockspec/urls.py",
    "lockspec/validation.py",
)

#: The worlds that may notice a change of a module, fastest first; modules not named use the core's.
WORLDS_OF: dict[str, tuple[str, ...]] = {
    "core": ("memory", "file"),
    "lockspec/cli/": ("cli", "file", "cli-redis"),
    "lockspec/liveness.py": ("file", "processes"),
    # A lease handed to a forked child is renewed at once by its keep-alive, in another process only.
    "lockspec/keepalive.py": ("memory", "file", "processes"),
    # The real clock runs in the real-clock features and in other processes; the server's only on Redis.
    "lockspec/clock.py": ("real-clock", "server-clock", "memory", "file", "redis", "processes"),
    "lockspec/stores/file/": ("file", "processes"),
    "lockspec/stores/memory.py": ("memory",),
    "lockspec/stores/redis/": ("redis",),
    "lockspec/connect.py": ("memory", "file", "redis"),
    "lockspec/urls.py": ("redis", "cli"),
}


@dataclasses.dataclass(frozen=True)
class Mutant:
    """One mutation: ``operator``'s ``occurrence``-th change of ``module``, on line ``line`` (1-based)."""

    module: str
    operator: str
    occurrence: int
    line: int
    original: str
    mutated: str
    #: It changes only a type annotation: equivalent by construction (see the module's docstring).
    annotation_only: bool = False

    def key(self) -> tuple[str, str, str, str]:
        """What identifies it in the list of equivalent mutants: lines, not numbers, which move with edits."""
        return self.module, self.operator, self.original.strip(), self.mutated.strip()


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of ``mutant``: its verdict, the world that killed it, the seconds it took."""

    mutant: Mutant
    verdict: str  # killed, survived, timed out, equivalent
    world: str  # the world that killed it, or ""
    seconds: float
    #: The scenario that failed first (``features/x.feature:12  its title``), or "".
    scenario: str = ""


def worlds_of(module: str) -> tuple[str, ...]:
    """The worlds that may kill a mutant of ``module``, fastest first."""
    for prefix, worlds in WORLDS_OF.items():
        if module == prefix or (prefix.endswith("/") and module.startswith(prefix)):
            return worlds
    return WORLDS_OF["core"]


def modules_of(given: list[str]) -> list[str]:
    """The modules to mutate: those given (files or folders), else every module of lockspec."""
    paths = [ROOT / name for name in given] if given else [ROOT / "lockspec"]
    found: list[str] = []
    for path in paths:
        files = sorted(path.rglob("*.py")) if path.is_dir() else [path]
        found += [str(file.relative_to(ROOT)) for file in files if file.name != "__main__.py"]
    return found


def mutants_of(module: str) -> Iterator[Mutant]:
    """Every mutant cosmic-ray's default operators make of ``module``."""
    source = (ROOT / module).read_text()
    lines = source.splitlines()
    tree = get_ast_from_path(ROOT / module)
    unannotated = _without_annotations(source)  # once per module, not once per mutant
    for name in operator_names():
        operator_class = get_operator(name)
        if operator_class.arguments():
            continue  # operators that need settings are not among the defaults
        operator = operator_class()
        count = sum(len(list(operator.mutation_positions(node))) for node in ast_nodes(tree))
        for occurrence in range(count):
            mutated = mutate_code(source, operator, occurrence)
            if mutated is None:
                continue
            changed = mutated.splitlines()
            at = next((i for i, (a, b) in enumerate(zip(lines, changed, strict=False)) if a != b), len(lines) - 1)
            after = changed[at] if at < len(changed) else ""
            yield Mutant(
                module, name, occurrence, at + 1, lines[at], after, changes_only_annotations(unannotated, mutated)
            )


def changes_only_annotations(original: str, mutated: str) -> bool:
    """Whether ``mutated`` differs from ``original`` (as ``_without_annotations`` gives it) only in annotations."""
    try:
        return original == _without_annotations(mutated)
    except SyntaxError:  # a mutant that does not parse (a ``*`` marker made ``+``) fails at import: never equivalent
        return False


def _without_annotations(source: str) -> str:
    tree = ast.parse(source)
    if not any(isinstance(node, ast.ImportFrom) and node.module == "__future__" for node in tree.body):
        return source  # annotations evaluated at import: a change may be seen
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.returns = None
        elif isinstance(node, ast.arg):
            node.annotation = None
        elif isinstance(node, ast.AnnAssign):
            node.annotation = ast.Constant(None)
    return ast.dump(tree)


def equivalents() -> dict[tuple[str, str, str, str], str]:
    """The mutants that change nothing observable, with the reason each is listed."""
    listed = tomllib.loads(EQUIVALENTS.read_text()).get("equivalent", [])
    return {(e["module"], e["operator"], e["line"], e["mutated"]): e["why"] for e in listed}


class Worker:
    """A copy of the working tree in which one mutant at a time is applied and tested."""

    def __init__(self, folder: Path, timeouts: dict[str, float]) -> None:
        self.folder = folder
        self.timeouts = timeouts
        tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
        for name in tracked.stdout.splitlines():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if (ROOT / name).is_file():
                shutil.copy2(ROOT / name, target)

    def run(self, world: str, timeout: float) -> tuple[bool, float, str]:
        """Whether ``world`` passes in this copy (``False`` on a timeout too), how long it took, and what failed.

        What failed is the first failing scenario, as behave names it
        (``features/x.feature:12  its title``), so that each kill can be read
        and a kill by a scenario that fails by chance be seen for what it is.
        """
        env = {**os.environ, "PYTHONPATH": str(self.folder), "PYTHONDONTWRITEBYTECODE": "1"}
        command = [sys.executable, "-m", "behave", "--stop", "--no-junit", "--format=null", *WORLDS[world]]
        started = time.monotonic()
        with (
            tempfile.TemporaryFile() as output,
            subprocess.Popen(
                command,
                cwd=self.folder,
                env=env,
                stdout=output,
                stderr=output,
                start_new_session=True,
            ) as behave,
        ):
            try:
                code = behave.wait(timeout)
            except subprocess.TimeoutExpired:
                _interrupt(behave)
                return False, time.monotonic() - started, "(timed out)"
            output.seek(0)
            failing = _first_failing(output.read().decode(errors="replace"))
        return code == 0, time.monotonic() - started, failing

    def test(self, mutant: Mutant) -> Outcome:
        path = self.folder / mutant.module
        original = path.read_text()
        mutated = mutate_code(original, get_operator(mutant.operator)(), mutant.occurrence)
        assert mutated is not None, f"{mutant} no longer applies"
        started = time.monotonic()
        path.write_text(mutated)
        try:
            for world in worlds_of(mutant.module):
                passed, took, failing = self.run(world, self.timeouts[world])
                if not passed:
                    verdict = "timed out" if took >= self.timeouts[world] else "killed"
                    return Outcome(mutant, verdict, world, time.monotonic() - started, failing)
            return Outcome(mutant, "survived", "", time.monotonic() - started)
        finally:
            path.write_text(original)


def _first_failing(output: str) -> str:
    """The first scenario behave lists as failing or errored in ``output``, else its last line (an error before any)."""
    listed = re.search(r"^(?:Failing|Errored) scenarios:\n\s+(.+)$", output, re.MULTILINE)
    if listed:
        return listed.group(1).strip()
    lines = output.strip().splitlines()
    return lines[-1] if lines else ""


def _interrupt(behave: subprocess.Popen[bytes]) -> None:
    """Stop a run that timed out as Ctrl-C would, so that its cleanups stop the servers and processes it started.

    They live in sessions of their own, out of reach of a signal to its group;
    its group is killed only if it has not ended after ``_GRACE_S``.
    """
    try:
        os.killpg(behave.pid, signal.SIGINT)
        behave.wait(_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(behave.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended just as its time ran out
    behave.wait()


#: How long a run that timed out gets to clean up after Ctrl-C.
_GRACE_S = 20


def baseline(worker: Worker, worlds: set[str]) -> dict[str, float]:
    """Each world's timeout, from its time unmutated; every world must pass unmutated."""
    timeouts: dict[str, float] = {}
    for world in sorted(worlds):
        passed, took, failing = worker.run(world, 1800)
        if not passed:
            raise SystemExit(
                f"the {world} world fails without any mutant ({failing or 'no scenario named'}): fix that first"
            )
        timeouts[world] = 3 * took + 10
        print(f"baseline: {world} world {took:.1f} s", flush=True)
    return timeouts


def main() -> int:
    """Test the mutants asked for and write the reports; 1 if a module scores under ``--fail-under``."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", action="append", default=[], help="a module or folder (repeatable)")
    parser.add_argument("--gated", action="store_true", help="the modules of CI's sampled check (GATED)")
    parser.add_argument("--line", action="append", type=int, default=[], help="only mutants of this line (repeatable)")
    parser.add_argument("--sample", type=int, help="test only this many mutants, drawn at random")
    parser.add_argument("--seed", default="0", help="the seed of the draw (any text)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--fail-under",
        type=float,
        default=0,
        help="exit 1 if a module (with --sample: the sample as a whole) scores under this (percent)",
    )
    args = parser.parse_args()

    modules = modules_of([*args.module, *(GATED if args.gated else ())])
    mutants = [mutant for module in modules for mutant in mutants_of(module)]
    made = {mutant.key() for mutant in mutants}
    stale = [key for key in equivalents() if key[0] in modules and key not in made]
    if stale:  # the code changed under them: each must be looked at again, not silently dropped
        listed = "\n".join(f"  {module}: {operator} on {line!r}" for module, operator, line, _ in stale)
        print(f"listed as equivalent in {EQUIVALENTS.name}, but no longer made:\n{listed}", file=sys.stderr)
        return 2
    if args.line:  # did the scenario just written kill the mutants of that line?
        mutants = [mutant for mutant in mutants if mutant.line in args.line]
    if args.sample is not None:
        mutants = sorted(random.Random(args.seed).sample(mutants, min(args.sample, len(mutants))), key=Mutant.key)
    known = equivalents()
    to_test = [mutant for mutant in mutants if mutant.key() not in known and not mutant.annotation_only]
    print(f"{len(mutants)} mutants of {len(modules)} modules, {len(mutants) - len(to_test)} equivalent")

    with tempfile.TemporaryDirectory(prefix="lockspec-mutation-") as scratch:
        first = Worker(Path(scratch) / "worker-0", {})
        timeouts = baseline(first, {world for mutant in to_test for world in worlds_of(mutant.module)})
        workers: queue.Queue[Worker] = queue.Queue()
        first.timeouts = timeouts
        workers.put(first)
        for number in range(1, max(1, args.workers)):
            workers.put(Worker(Path(scratch) / f"worker-{number}", timeouts))

        def test(mutant: Mutant) -> Outcome:
            worker = workers.get()
            try:
                return worker.test(mutant)
            finally:
                workers.put(worker)

        outcomes = [Outcome(mutant, "equivalent", "", 0) for mutant in mutants if mutant not in to_test]
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max(1, args.workers)) as pool:
            for done, outcome in enumerate(pool.map(test, to_test), 1):
                outcomes.append(outcome)
                shown = f"{outcome.mutant.module}:{outcome.mutant.line} {outcome.mutant.operator}"
                by = f" by {outcome.world}: {outcome.scenario}" if outcome.world else ""
                print(f"[{done}/{len(to_test)}] {outcome.verdict:9} {shown}{by}", flush=True)
    scores = write_reports(outcomes, time.monotonic() - started, args)
    # A sample holds a few mutants of each module: only its score as a whole says anything.
    judged = {_ALL: scores[_ALL]} if args.sample is not None else {m: s for m, s in scores.items() if m != _ALL}
    low = {module: score for module, score in judged.items() if score < args.fail_under}
    for module, score in sorted(low.items()):
        print(f"{module}: {score:.1f}% killed, under {args.fail_under:g}%", file=sys.stderr)
    return 1 if low else 0


def write_reports(outcomes: list[Outcome], seconds: float, args: argparse.Namespace) -> dict[str, float]:
    """Write the summary and the survivors per module; return each module's score in percent."""
    REPORTS.mkdir(parents=True, exist_ok=True)
    by_module: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        by_module.setdefault(outcome.mutant.module, []).append(outcome)
    rows = ["| module | mutants | killed | timed out | survived | equivalent | score |", "|---" * 7 + "|"]
    scores: dict[str, float] = {}
    summary: dict[str, dict[str, float]] = {}
    for module, found in [*sorted(by_module.items()), (_ALL, outcomes)]:
        counts = {verdict: sum(o.verdict == verdict for o in found) for verdict in _VERDICTS}
        counted = len(found) - counts["equivalent"]
        score = 100 * (counts["killed"] + counts["timed out"]) / counted if counted else 100.0
        scores[module] = score
        summary[module] = {**counts, "score": round(score, 1)}
        rows.append(
            f"| {module} | {len(found)} | {counts['killed']} | {counts['timed out']} | {counts['survived']} "
            f"| {counts['equivalent']} | {score:.1f}% |"
        )
        if module == _ALL:
            continue
        survivors = sorted((o.mutant for o in found if o.verdict == "survived"), key=lambda m: (m.line, m.operator))
        text = [f"# Surviving mutants of {module}", ""]
        for mutant in survivors:
            text += [f"line {mutant.line}, {mutant.operator}:", "```diff", f"- {mutant.original}"]
            text += [f"+ {mutant.mutated}", "```", ""]
        killed = sorted((o for o in found if o.world), key=lambda o: (o.mutant.line, o.mutant.operator))
        text += ["# Killed (or timed out), and by what", ""]
        text += [f"- line {o.mutant.line}, {o.mutant.operator}: {o.verdict} by {o.world}, {o.scenario}" for o in killed]
        (REPORTS / (module.replace("/", ".") + ".md")).write_text("\n".join(text))
    sampled = f", a sample of {args.sample} drawn with seed {args.seed!r}" if args.sample is not None else ""
    header = f"# Mutation score\n\n{len(outcomes)} mutants{sampled}, {seconds / 60:.1f} min, {args.workers} workers.\n"
    (REPORTS / "summary.md").write_text(header + "\n" + "\n".join(rows) + "\n")
    (REPORTS / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    print("\n".join(rows))
    return scores


_VERDICTS = ("killed", "timed out", "survived", "equivalent")

#: The row of every module together.
_ALL = "all modules"


if __name__ == "__main__":
    sys.exit(main())

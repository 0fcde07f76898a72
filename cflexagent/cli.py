"""Command line: ``cflexagent run|check|init|version|hash-password`` and the
capability tools (``probe``, ``logs preview``, ``storage ...``).

Exit codes: 0 ok, 1 run-time failure, 2 bad config or usage (one line on
stderr naming the file and key path, never a traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import os
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

from . import __version__
from .statefile import atomic_write

EXIT_OK, EXIT_RUNTIME, EXIT_CONFIG = 0, 1, 2
#: Modules that add subcommands; each defines ``register(subparsers, common)``
#: and imports nothing heavy at module level.
COMMAND_MODULES: list[str] = ["cflexagent.probes.cli", "cflexagent.storage.cli", "cflexagent.logs.cli",
                              "cflexagent.alerts.cli", "cflexagent.render.cli", "cflexagent.backup.cli"]


def example_config_text() -> str:
    return resources.files("cflexagent").joinpath("data/cflexagent.example.toml").read_text(encoding="utf-8")


def demo_state_dir() -> Path:
    return Path(os.environ.get("CFLEXAGENT_DEMO_DIR") or Path(tempfile.gettempdir()) / "cflexagent-demo")


def demo_config_text() -> str:
    text = resources.files("cflexagent").joinpath("data/demo.toml").read_text(encoding="utf-8")
    return text.replace("@STATE_DIR@", str(demo_state_dir()))


def fail(message: str, code: int = EXIT_CONFIG, *, names_file: bool = False) -> int:
    """One line on stderr. A message that starts with the file it is about (config errors) is printed
    as is; any other is prefixed with the program's name."""
    print(message if names_file else f"cflexagent: {message}", file=sys.stderr)
    return code


def load_config(args: argparse.Namespace) -> tuple[Any, str]:
    """The config named by -c / $CFLEXAGENT_CONFIG / the system path (raises ConfigError)."""
    from .config import load, resolve_path

    path = resolve_path(getattr(args, "config", None))
    return load(path), path


# -- commands ---------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    from .agent import Agent, StartupError
    from .config import ConfigError, load, parse
    from .telemetry import get_logger, setup_logging

    extra: Any = None
    if args.demo:
        source = "<demo>"
        demo_state_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
        text = demo_config_text()
        if args.listen:
            text = text.replace('listen = "127.0.0.1:9087"', f"listen = {args.listen!r}".replace("'", '"'))
            text = text.replace("127.0.0.1:9087", args.listen)  # the demo probes of the agent follow it
        from .demo import demo_components, demo_config_additions

        text += demo_config_additions(demo_state_dir())
        config = parse(text, source)
        loader = None

        def extra(ctx: Any) -> list[Any]:
            return demo_components(config, ctx)
    else:
        if args.listen:
            return fail("--listen is only for --demo; set server.listen in the config file", EXIT_CONFIG)
        config, source = load_config(args)
        path = source

        def loader() -> Any:
            return load(path)

    setup_logging(config.agent.log_level)
    if args.demo:
        port = config.server.listen.port
        print(f"cflexagent demo: state in {config.agent.state_dir}; open http://127.0.0.1:{port}/ "
              f"(metrics at http://127.0.0.1:{port}/metrics); Ctrl-C stops.", file=sys.stderr, flush=True)
    agent = Agent(config, source, loader, extra_components=extra)

    async def main() -> int:
        return await agent.run()

    try:
        return asyncio.run(main())
    except ConfigError as e:
        return fail(str(e), EXIT_CONFIG, names_file=True)
    except StartupError as e:
        return fail(str(e), e.exit_code, names_file=True)
    except Exception as e:  # pragma: no cover - last resort, still one structured line
        get_logger("agent").exception("agent failed", error=f"{type(e).__name__}: {e}")
        return EXIT_RUNTIME


def cmd_check(args: argparse.Namespace) -> int:
    from .agent import state_dir_problem
    from .component import Problem
    from .components import NOTHING_TO_RUN, check_files, summarize
    from .config import ConfigError
    from .server import build_ssl_context

    config, path = load_config(args)
    problems = check_files(config)
    if not any(p.message.startswith("server.tls.") for p in problems):
        try:
            build_ssl_context(config.server, path)
        except ConfigError as e:
            problems.append(Problem("error", str(e).removeprefix(f"{path}: ")))
    state_problem = state_dir_problem(config.agent.state_dir)
    if state_problem:
        problems.insert(0, Problem("error", f"agent.state_dir: {state_problem}"))
    problems += render_problems(config)
    summary = summarize(config)
    if not summary:
        problems.append(Problem("warning", NOTHING_TO_RUN))
    errors = [p for p in problems if p.severity == "error"]
    for p in problems:
        print(f"{path}: {p.severity}: {p.message}", file=sys.stderr)
    if errors:
        return EXIT_CONFIG
    auth = "basic auth" if config.server.basic_auth and config.server.basic_auth.users else "no auth"
    print(f"{path}: valid")
    print(f"  instance   {config.agent.instance_name}")
    print(f"  state_dir  {config.agent.state_dir}")
    print(f"  listen     {'https' if config.server.tls else 'http'}://{config.server.listen}/metrics ({auth})")
    for line in summary:
        print(f"  {line}")
    return EXIT_OK


def render_problems(config: Any) -> list[Any]:
    """Warnings about the rendered set: rules over cflex_* series the config's [[logs.metrics]] do not derive."""
    from .component import Problem
    from .render.common import RenderContext
    from .render.logseries import missing_series_warnings

    return [Problem("warning", line) for line in missing_series_warnings(RenderContext(config, ""))]


def cmd_init(args: argparse.Namespace) -> int:
    from .config import resolve_path

    target = Path(args.path or resolve_path(getattr(args, "config", None)))
    if target.exists() and not args.force:
        return fail(f"{target}: already exists (use --force to overwrite)", EXIT_CONFIG, names_file=True)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, example_config_text().encode(), mode=0o640)
    except OSError as e:
        return fail(f"{target}: cannot write: {e.strerror or e}", EXIT_RUNTIME, names_file=True)
    print(f"wrote {target}; edit it, then run: cflexagent check -c {target}")
    return EXIT_OK


def cmd_version(args: argparse.Namespace) -> int:
    print(f"cflexagent {__version__} (Python {sys.version.split()[0]})")
    return EXIT_OK


def cmd_hash_password(args: argparse.Namespace) -> int:
    import bcrypt

    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("Password: ")
    if not password:
        return fail("empty password", EXIT_CONFIG)
    from .auth import BCRYPT_MAX_BYTES

    try:
        secret = password.encode()
    except UnicodeEncodeError:  # stdin that is not UTF-8 (surrogate escapes)
        return fail("password is not valid UTF-8 (a basic-auth password is decoded as UTF-8)", EXIT_CONFIG)
    if len(secret) > BCRYPT_MAX_BYTES:
        return fail(f"password is {len(secret)} bytes; bcrypt uses at most {BCRYPT_MAX_BYTES}: choose a shorter one",
                    EXIT_CONFIG)
    print(bcrypt.hashpw(secret, bcrypt.gensalt(args.cost)).decode())
    return EXIT_OK


# -- parser -----------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-c", "--config", metavar="FILE", default=argparse.SUPPRESS,
                        help="config file (default: $CFLEXAGENT_CONFIG, else /etc/cflexagent/cflexagent.toml)")
    parser = argparse.ArgumentParser(
        prog="cflexagent", parents=[common],
        description="Monitoring agent: uptime probes, logs to Loki, cPanel storage scans, an alert relay, the bundled "
                    "Prometheus/Alertmanager/Loki/Grafana/nginx configs, one /metrics endpoint.")
    parser.add_argument("--version", action="version", version=f"cflexagent {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", parents=[common], help="run the agent")
    p.add_argument("--demo", action="store_true", help="run on the embedded demo configuration")
    p.add_argument("--listen", metavar="HOST:PORT", help="with --demo: serve on this address instead of 127.0.0.1:9087")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check", parents=[common], help="validate the config and summarise what would run")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("init", parents=[common], help="write the fully documented example config")
    p.add_argument("path", nargs="?", help="where to write it (default: the config path)")
    p.add_argument("--force", action="store_true", help="overwrite an existing file")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("version", parents=[common], help="print the version")
    p.set_defaults(func=cmd_version)

    p = sub.add_parser("hash-password", parents=[common],
                       help="bcrypt a password (read from stdin or a prompt) for server.basic_auth.users")
    p.add_argument("--cost", type=int, default=10, choices=range(4, 16), metavar="4..15",
                   help="bcrypt cost (default 10)")
    p.set_defaults(func=cmd_hash_password)

    for module in COMMAND_MODULES:
        importlib.import_module(module).register(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .config import ConfigError
    from .onefile import clean_stale_extractions

    clean_stale_extractions()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as e:
        return fail(str(e), EXIT_CONFIG, names_file=True)
    except KeyboardInterrupt:
        return 130

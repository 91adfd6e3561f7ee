"""Command line: ``flask --app wsgi sandbox serve`` or ``python -m mspweb.sandbox``."""

from __future__ import annotations

import time

import click

from .faults import FaultRuleError, parse_fault_option
from .generate import DEFAULT_COMPANIES, DEFAULT_LICENSES, DEFAULT_SEED
from .state import DEFAULT_TOKEN_LIFETIME, SandboxConfig
from .world import DEMO_ACCOUNTS

sandbox_cli = click.Group("sandbox", help="The sandbox license portals (demo, development).")


def _fault_specs(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list:
    try:
        return [parse_fault_option(value) for value in values]
    except (FaultRuleError, ValueError) as error:
        raise click.BadParameter(str(error)) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5050, show_default=True, type=int)
@click.option(
    "--companies",
    default=DEFAULT_COMPANIES,
    show_default=True,
    type=int,
    help="Companies in the main demo account's tree (root included).",
)
@click.option(
    "--licenses",
    default=DEFAULT_LICENSES,
    show_default=True,
    type=int,
    help="MSP-portal licenses of the main demo account.",
)
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int)
@click.option(
    "--enable-admin",
    is_flag=True,
    default=None,
    help="Serve the test-only /_sandbox admin endpoint (or SANDBOX_ADMIN=1).",
)
@click.option(
    "--rate-limit",
    type=float,
    default=None,
    help="Calls per second per credential; beyond it, 429 with Retry-After.",
)
@click.option(
    "--token-lifetime",
    default=DEFAULT_TOKEN_LIFETIME,
    show_default=True,
    type=int,
    help="Seconds an access token lives (expiresIn).",
)
@click.option(
    "--past-end",
    type=click.Choice(["empty", "forbidden"]),
    default="empty",
    show_default=True,
    help="A page past the end: empty, or 403 code 99/1.",
)
@click.option(
    "--no-expires-in",
    is_flag=True,
    help="Answer tokens without expiresIn (clients must assume 60 s).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    callback=_fault_specs,
    help="A fault rule: JSON or kind=status,status=503,path=Search/Licenses,count=2",
)
@click.option("--quiet", is_flag=True, help="Do not log each request.")
def serve(
    host: str,
    port: int,
    companies: int,
    licenses: int,
    seed: int,
    enable_admin: bool | None,
    rate_limit: float | None,
    token_lifetime: int,
    past_end: str,
    no_expires_in: bool,
    faults: list[dict],
    quiet: bool,
) -> None:
    """Serve both portals (/msp and /business) from a generated world."""
    from .app import create_app
    from .server import make_sandbox_server

    started = time.perf_counter()
    config = SandboxConfig(
        seed=seed,
        companies=companies,
        licenses=licenses,
        token_lifetime=token_lifetime,
        rate_limit=rate_limit,
        past_end=past_end,
        send_expires_in=not no_expires_in,
        enable_admin=enable_admin,
        faults=faults,
    )
    try:
        app = create_app(config)
    except FaultRuleError as error:
        raise click.BadParameter(str(error), param_hint="--fault") from None
    server = make_sandbox_server(app, host, port, quiet=quiet)
    world = app.extensions["sandbox"].world
    root = f"http://{host}:{server.port}"
    click.echo(
        f"Sandbox portals ready in {time.perf_counter() - started:.2f} s "
        f"(seed {seed}: {len(world.companies)} companies, "
        f"{len(world.licenses)} licenses)"
    )
    click.echo(f"  MSP portal:      {root}/msp")
    click.echo(f"  business portal: {root}/business")
    admin = "on" if config.admin_enabled() else "off (--enable-admin or SANDBOX_ADMIN=1)"
    click.echo(f"  admin endpoint:  {root}/_sandbox/ {admin}")
    click.echo("Demo credentials:")
    for account in DEMO_ACCOUNTS.values():
        click.echo(f"  {account.username:<30} {account.password:<10} {account.description}")
    server.serve_forever()


@click.command("accounts")
def accounts() -> None:
    """List the demo credentials."""
    for account in DEMO_ACCOUNTS.values():
        click.echo(f"{account.username}\t{account.password}\t{account.description}")


sandbox_cli.add_command(serve)
sandbox_cli.add_command(accounts)

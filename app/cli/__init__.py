"""The operators' commands: `provisioning reseller|customer|user|apikey|audit|import|db|events|webhook ...` (a console
script of its own after `make install`, and in the image; `./provisioning` from a checkout).

They work through the service layer, as the API's endpoints do, on the database of MONGODB_URI.
"""
import click

from app.cli.api_keys import apikey
from app.cli.audit import audit
from app.cli.customers import customer
from app.cli.database import db
from app.cli.events import events_group
from app.cli.imports import imports_group
from app.cli.resellers import reseller
from app.cli.users import user
from app.cli.webhooks import webhook
from app.version import VERSION

GROUPS = (reseller, customer, user, apikey, audit, imports_group, db, events_group, webhook)
PROGRAM = "provisioning"
SHELLS = ("bash", "zsh", "fish")


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, help=f"""The operator commands of the SMS
platform's provisioning service ({VERSION}): resellers, their customers, users, credits and API keys, the audit
trail, bulk imports, database upgrades, the events relay and webhooks, on the database of MONGODB_URI (default
mongodb://127.0.0.1:27017/provisioning).

Passwords come from RESELLER_PASSWORD or USER_PASSWORD, or a hidden prompt; never from the command line.""")
@click.version_option(VERSION, prog_name=PROGRAM, message="%(prog)s %(version)s")
def main():
    pass


@main.command("completion")
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell):
    """Print the completion script for a shell (bash, zsh, fish).

    In ~/.bashrc: eval "$(provisioning completion bash)"."""
    from click.shell_completion import get_completion_class

    completer = get_completion_class(shell)
    click.echo(completer(main, {}, PROGRAM, "_PROVISIONING_COMPLETE").source())


for group in GROUPS:
    main.add_command(group)

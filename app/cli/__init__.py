"""The operators' commands: `./provisioning reseller|customer|user|apikey|audit|db|events|webhook ...` (also `flask --app wsgi ...`).

They work through the service layer, as the API's endpoints do, on the database of MONGODB_URI.
"""
import click

from app.cli.api_keys import apikey
from app.cli.audit import audit
from app.cli.customers import customer
from app.cli.database import db
from app.cli.events import events_group
from app.cli.resellers import reseller
from app.cli.users import user
from app.cli.webhooks import webhook

GROUPS = (reseller, customer, user, apikey, audit, db, events_group, webhook)


@click.group(help="The provisioning service's operator commands, on the database of MONGODB_URI.")
def main():
    pass


for group in GROUPS:
    main.add_command(group)

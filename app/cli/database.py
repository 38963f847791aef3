"""`db upgrade`: the database's indexes and documents brought to what the service relies on."""
import click
from pymongo.errors import ConnectionFailure

from app.cli.common import tools
from app.cli.progress import Shown
from app.domain.exceptions import UpgradeBlocked

db = click.Group("db", help="The database's indexes and documents.")


@db.command("upgrade")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="documents each backfill changes at a time")
@click.option("--rest", type=click.FloatRange(0, 100), default=0.25, show_default=True,
              help="after each batch, rest this share of the time the batch took (0: as fast as the database goes)")
@click.option("--wait", type=click.FloatRange(0), default=3600, show_default=True,
              help="seconds to wait for another upgrade that holds the lease")
def upgrade(batch_size, rest, wait):
    """Create and change the service's indexes (never another's), and fill in what older documents lack: one upgrade
    at a time, resumable, with its progress shown."""
    upgrading = tools().database_upgrade(batch_size=batch_size, rest=rest, wait_seconds=wait)
    try:
        with Shown() as shown:
            for event in upgrading.run():
                shown.show(event)
    except UpgradeBlocked as error:
        raise click.ClickException(str(error)) from None
    except ConnectionFailure:
        raise click.ClickException("the database is unavailable (see MONGODB_URI)") from None
    click.echo(f"database {upgrading.database_name} is up to date")

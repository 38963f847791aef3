"""`db upgrade`: the database's indexes and documents brought to what the service relies on."""
import click
from pymongo.errors import ConnectionFailure

from app.cli.common import tools
from app.domain.exceptions import UpgradeBlocked

db = click.Group("db", help="The database's indexes and documents.")


@db.command("upgrade")
def upgrade():
    """Create and change the indexes the service relies on, and fill in what older documents lack."""
    upgrading = tools().database_upgrade()
    try:
        done = list(upgrading.run())
    except UpgradeBlocked as error:
        raise click.ClickException(str(error)) from None
    except ConnectionFailure:
        raise click.ClickException("the database is unavailable (see MONGODB_URI)") from None
    for line in done:
        click.echo(line)
    click.echo(f"database {upgrading.database_name} is up to date")

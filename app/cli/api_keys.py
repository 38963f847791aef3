"""`apikey list|revoke`: any reseller's API keys, for operators."""
import click

from app.cli.common import (
    after_option,
    command,
    echo_table,
    existing,
    given_id,
    limit_option,
    operator,
    reseller_names,
    shown,
    tools,
)
from app.domain.exceptions import ApiKeyNotFound
from app.service_layer import api_keys, lookups

apikey = click.Group("apikey", help="List and revoke resellers' API keys.")


@command(apikey, name="list")
@click.option("--reseller", "reseller_name", help="the reseller whose keys to list (all resellers' without)")
@limit_option
@after_option
def list_keys(reseller_name, limit, after, uow):
    """List API keys in creation order: id, reseller, label, addresses, expiry, last use, revoked (never a key)."""
    owner = existing(lookups.reseller_named(reseller_name, uow=uow), "reseller", reseller_name) if reseller_name else None
    found = api_keys.keys_of(owner.id if owner else None, given_id(after), limit, uow=uow)
    names = reseller_names((key.reseller_id for key in found.items), uow)
    echo_table(("ID", "RESELLER", "LABEL", "ALLOWED IPS", "EXPIRES", "LAST USED", "REVOKED"),
               [(str(key.id), names[key.reseller_id], shown(key.label), ",".join(key.allowed_ips) or "any",
                 shown(key.expires_at) if key.expires_at else "never",
                 shown(key.last_used_at) if key.last_used_at else "never", shown(key.revoked))
                for key in found.items], found)


@command(apikey, name="revoke")
@click.argument("key_id")
def revoke_key(key_id, uow):
    """Revoke an API key at once, whoever's it is."""
    try:
        found = api_keys.any_key(given_id(key_id, "KEY_ID"), uow=uow)
    except ApiKeyNotFound:
        raise click.ClickException(f"there is no API key with id {key_id}") from None
    revoked = api_keys.revoke_key(found.reseller_id, found.id, operator(), uow=uow, clock=tools().clock)
    click.echo(f"revoked API key {revoked.id} ({shown(revoked.label)})")

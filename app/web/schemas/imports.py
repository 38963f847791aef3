"""customer-user/import's parameters: the credentials and dryRun once, and up to 100 rows, each with
customer-user/create's parameters (each row is checked on its own, by that endpoint's schema)."""
from marshmallow import post_load

from app.domain.commands import CustomerUserImport
from app.web import fields
from app.web.schemas.base import ResellerSchema
from app.web.schemas.parameters import described

ROWS_MAX = 100
ROW_COMPONENT = "CustomerUserRow"


class CustomerUserImportSchema(ResellerSchema):
    """customer-user/import."""

    component = "CustomerUserImport"
    rows = fields.Rows(most=ROWS_MAX, row_component=ROW_COMPONENT, required=True, **described(
        f"up to {ROWS_MAX} customers with their first users, each with customer-user/create's parameters (not the "
        "credentials, nor dryRun); one result per row, in order"))
    dry_run = fields.Flag(data_key="dryRun", **described(
        "true: check every row as customer-user/create's dry run does and write nothing"))

    @post_load
    def make_request(self, data, **kwargs):
        return CustomerUserImport(self.credentials(data), data["rows"], data.get("dry_run", False))

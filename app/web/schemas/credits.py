"""Credits' parameters: a change of a customer's balance, a page of its ledger."""
from marshmallow import post_load

from app.domain import credits
from app.domain.commands import CreditRequest, LedgerRequest
from app.web import fields
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema
from app.web.schemas.parameters import described


class CreditSchema(ResellerSchema):
    """customer/credit."""

    component = "CustomerCredit"
    customer_id = parameters.customer_id(required=True)
    amount = fields.Amount(most=credits.AMOUNT_MAX, required=True, **described(
        "the credits to add (negative: to take), -1,000,000,000 to 1,000,000,000, not 0: its sign decides the "
        "direction whatever the reason"))
    reason = fields.Choice(credits.REASONS, required=True, **described("what the change is, for the ledger"))
    reference = fields.Text(max_length=credits.REFERENCE_MAX_LENGTH, **described(
        "the reseller's own reference (an invoice or ticket number), up to 128 characters: a change with a reference "
        "used before on this customer is the first one's again (the same amount and reason), or refused"))
    dry_run = fields.Flag(data_key="dryRun", **described(
        "true: check everything the change would (the credentials, the customer, the balance) and write nothing; "
        "the answer is the customer as it would become"))

    @post_load
    def make_request(self, data, **kwargs):
        return CreditRequest(self.credentials(data), data["customer_id"], data["amount"], data["reason"],
                             data.get("reference"), data.get("dry_run", False))


class LedgerSchema(ResellerSchema):
    """customer/transactions."""

    component = "CustomerTransactions"
    customer_id = parameters.customer_id(required=True)
    limit = parameters.limit()
    after = parameters.after()
    order = fields.Choice(("desc", "asc"), load_default="desc", **described(
        "desc: newest first (the default); asc: oldest first"))

    @post_load
    def make_request(self, data, **kwargs):
        return LedgerRequest(self.credentials(data), data["customer_id"], data["limit"], data.get("after"),
                             data["order"] == "asc")

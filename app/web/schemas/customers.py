"""A customer's parameters: its settings, which customer, a change, a page of customers."""
from marshmallow import post_load, validates_schema

from app.domain.commands import CustomerChange, CustomerLookup, ListFilters, ListRequest
from app.web import fields
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema, Update, exactly_one, nothing_to_change
from app.web.schemas.parameters import described

MO_CHARGE_MAX = 1_000_000_000
CUSTOMER_SETTINGS = ("integrationId", "rotationAlgorithm", "billingType", "moCharge")


class CustomerSettings(ResellerSchema):
    """A customer's settings, as customer/create takes them and customer/update changes them."""

    integration_id = fields.Text(data_key="integrationId", **described("the reseller's own reference for the customer"))
    rotation_algorithm = fields.Choice(("CONVERSATION", "MAX_ROTATION"), data_key="rotationAlgorithm",
                                       **described("how the customer's sender numbers rotate"))
    billing_type = fields.Choice(("PRE_PAID", "POST_PAID"), data_key="billingType",
                                 **described("whether the customer pays before or after sending"))
    mo_charge = fields.WholeNumber(minimum=0, maximum=MO_CHARGE_MAX, data_key="moCharge", **described(
        "what a mobile-originated message costs the customer, 0 to 1,000,000,000"))


class CustomerLookupSchema(ResellerSchema):
    """customer/get: a customer by customerId or by name (exactly one)."""

    component = "CustomerLookup"
    one_of_required = ("customerId", "name")
    customer_id = parameters.customer_id()
    name = fields.Identifier(**described("the customer's name, exactly as created (in NFC): a back-end that lost the "
                                         "answer of its create finds the customer so"))

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def one_of_them(self, data, original_data, **kwargs):
        exactly_one(data, original_data, self.one_of_required)

    @post_load
    def make_request(self, data, **kwargs):
        return CustomerLookup(self.credentials(data), data.get("customer_id"), data.get("name"))


class CustomerHoldSchema(ResellerSchema):
    """customer/suspend, customer/resume."""

    component = "CustomerHold"
    customer_id = parameters.customer_id(required=True)
    dry_run = parameters.dry_run_of_change()

    @post_load
    def make_request(self, data, **kwargs):
        return CustomerLookup(self.credentials(data), data["customer_id"], dry_run=data.get("dry_run", False))


class CustomerUpdateSchema(Update, CustomerSettings):
    """customer/update: a customer's settings (its name cannot change)."""

    component = "CustomerUpdate"
    any_of_required = CUSTOMER_SETTINGS
    unchangeable = ("name", "customer", "username", "resellerId", "credits", "active")
    customer_id = parameters.customer_id(required=True)
    dry_run = parameters.dry_run_of_change()

    @validates_schema
    def changes_something(self, data, **kwargs):
        if not set(data) - {"reseller_name", "reseller_password", "customer_id", "dry_run"}:
            nothing_to_change(CUSTOMER_SETTINGS)

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        dry_run = data.pop("dry_run", False)
        return CustomerChange(credentials, data.pop("customer_id"), data, dry_run)


class PageSchema(ResellerSchema):
    """A page of a list in creation order: at most limit, after the id given."""

    limit = parameters.limit()
    after = parameters.after()
    created_after = fields.Moment(data_key="createdAfter", **described(
        "only those created at or after this time (ISO 8601 with its offset, e.g. 2026-11-27T00:00:00Z)"))
    created_before = fields.Moment(data_key="createdBefore", **described(
        "only those created before this time (ISO 8601 with its offset)"))
    active = fields.Flag(**described("true: only active ones; false: only suspended ones"))

    @post_load
    def make_request(self, data, **kwargs):
        filters = ListFilters(
            active=data.get("active"), integration_id=data.get("integration_id"), email=data.get("email"),
            phone_number=data.get("phone_number"), prefix=data.get("prefix"), created_after=data.get("created_after"),
            created_before=data.get("created_before"))
        return ListRequest(self.credentials(data), data["limit"], data.get("after"), data.get("customer_id"), filters)


class CustomerListSchema(PageSchema):
    """customer/list: a page of the reseller's customers, filtered."""

    component = "CustomerList"
    integration_id = fields.Text(data_key="integrationId", **described("only the customers with this integrationId"))
    prefix = fields.NamePrefix(data_key="namePrefix", **described(
        "only the customers whose name begins with this (as stored, in NFC: letter case counts)"))

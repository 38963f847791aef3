"""A customer's parameters: its settings, which customer, a page of customers."""
from marshmallow import post_load, validates_schema

from app.domain.commands import CustomerChange, CustomerLookup, ListRequest
from app.web import fields
from app.web.schemas import parameters
from app.web.schemas.base import ResellerSchema, nothing_to_change
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
    """customer/get, customer/suspend, customer/resume."""

    component = "CustomerLookup"
    customer_id = parameters.customer_id(required=True)

    @post_load
    def make_request(self, data, **kwargs):
        return CustomerLookup(self.credentials(data), data["customer_id"])


class CustomerUpdateSchema(CustomerSettings):
    """customer/update: a customer's settings (its name cannot change)."""

    component = "CustomerUpdate"
    any_of_required = CUSTOMER_SETTINGS
    customer_id = parameters.customer_id(required=True)

    @validates_schema
    def changes_something(self, data, **kwargs):
        if not set(data) - {"reseller_name", "reseller_password", "customer_id"}:
            nothing_to_change(CUSTOMER_SETTINGS)

    @post_load
    def make_request(self, data, **kwargs):
        credentials = self.credentials(data)
        return CustomerChange(credentials, data.pop("customer_id"), data)


class PageSchema(ResellerSchema):
    """A page of a list in creation order: at most limit, after the id given."""

    limit = parameters.limit()
    after = parameters.after()

    @post_load
    def make_request(self, data, **kwargs):
        return ListRequest(self.credentials(data), data["limit"], data.get("after"), data.get("customer_id"))


class CustomerListSchema(PageSchema):
    """customer/list: a page of the reseller's customers."""

    component = "CustomerList"

"""The parameters several endpoints take, each declared once: its name in the API, its rule and its description."""
from app.web import fields

LIST_LIMIT_MAX = 100
LIST_LIMIT_DEFAULT = 50


def described(description, **options):
    """A field's options with its description for the OpenAPI document (its own key: apispec would put a "description"
    beside a $ref, which OpenAPI 3.0 ignores)."""
    return {"metadata": {"doc": description}, **options}


def customer_id(**options):
    return fields.ObjectIdText(data_key="customerId", **described("the id of one of the reseller's customers", **options))


def user_id(**options):
    return fields.ObjectIdText(data_key="userId", **described("the id of one of the reseller's users", **options))


def username(**options):
    return fields.Identifier(**described("the user's name, unique across all resellers; one that contains '@' must end "
                                         "with '@' and the reseller's name", **options))


def password(**options):
    return fields.Text(**described("the user's password, stored only as an argon2id hash", **options))


def email(**options):
    return fields.Email(**described("the user's email address", **options))


def phone_number(**options):
    return fields.PhoneNumber(data_key="phoneNumber", **described("the user's phone number", **options))


def dry_run():
    return fields.Flag(data_key="dryRun", **described(
        "true: check everything the create would (validation, credentials, free names, the customer) and write "
        "nothing; the answer is 200 with dryRun true"))


def dry_run_of_change():
    return fields.Flag(data_key="dryRun", **described(
        "true: check everything the change would (validation, credentials, the object and whose it is, an operators' "
        "hold) and write nothing; the answer is the object as it would become, with changed: the fields that would "
        "change"))


def limit():
    return fields.WholeNumber(minimum=1, maximum=LIST_LIMIT_MAX, load_default=LIST_LIMIT_DEFAULT,
                              **described(f"how many to answer at most, 1 to {LIST_LIMIT_MAX}"))


def after():
    return fields.ObjectIdText(**described("the next of the previous page (the last id it held); none: the first page"))

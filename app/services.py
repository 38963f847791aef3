"""The service layer: what each endpoint does, given its checked request and its collaborators."""
from app.exceptions import AuthenticationFailed, CustomerNotFound


def authenticate(credentials, *, repository, hasher):
    """Return the active reseller these credentials prove, or raise AuthenticationFailed."""
    reseller = repository.find_reseller(credentials.reseller_name)
    stored_hash = reseller["passwordHash"] if reseller else None
    password_matches = hasher.verify(stored_hash, credentials.password)
    if not (password_matches and reseller["active"]):
        raise AuthenticationFailed()
    return reseller


def create_customer(request, *, repository, hasher, clock):
    """Create the customer for the authenticated reseller and return its id."""
    reseller = authenticate(request.credentials, repository=repository, hasher=hasher)
    return repository.insert_customer(request.customer, reseller_id=reseller["_id"], created_at=clock())


def create_user(request, *, repository, hasher, clock):
    """Create a user of one of the authenticated reseller's customers and return its id."""
    reseller = authenticate(request.credentials, repository=repository, hasher=hasher)
    if not repository.customer_belongs_to(request.customer_id, reseller["_id"]):
        raise CustomerNotFound()
    return repository.insert_user(
        request.user,
        hasher.hash(request.user.password),
        customer_id=request.customer_id,
        reseller_id=reseller["_id"],
        created_at=clock(),
    )


def create_customer_with_user(request, *, repository, hasher, clock):
    """Create a customer and its first user together; return (customer id, user id)."""
    reseller = authenticate(request.credentials, repository=repository, hasher=hasher)
    return repository.insert_customer_with_user(
        request.customer,
        request.user,
        hasher.hash(request.user.password),
        reseller_id=reseller["_id"],
        free_credits=reseller["freeCredits"] if request.apply_free_credits else None,
        created_at=clock(),
    )


def create_reseller(name, password, *, free_credits, repository, hasher, clock):
    """Create an active reseller; raises ResellerExists when the name is taken."""
    repository.insert_reseller(name, hasher.hash(password), free_credits=free_credits, created_at=clock())


def change_reseller_password(name, password, *, repository, hasher, clock):
    """Replace a reseller's password; raises ResellerNotFound when there is none of that name."""
    repository.update_reseller(name, {"passwordHash": hasher.hash(password)}, updated_at=clock())


def set_reseller_active(name, active, *, repository, clock):
    """Enable or disable a reseller; raises ResellerNotFound when there is none of that name."""
    repository.update_reseller(name, {"active": active}, updated_at=clock())

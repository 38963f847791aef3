"""The examples the OpenAPI document shows, as the README's."""

CREDENTIALS = {"resellerName": "acme", "resellerPassword": "s3cret-Reseller"}
CUSTOMER_ID = "6b08957e7265435a2da2e472"
USER_ID = "6b08957edae25ef41902996a"
REQUEST_ID = "9e8d648b432d4372883cafa3e0405e6b"
CREATED_AT = "2026-11-26T20:59:27.426Z"
URL_PUSH = {"type": "URL", "data": {"url": "https://push.example.com/mo"}}
CUSTOMER = {"id": CUSTOMER_ID, "name": "example-shop", "integrationId": "", "rotationAlgorithm": "MAX_ROTATION",
            "billingType": "PRE_PAID", "moCharge": 42, "credits": 0, "active": True, "createdAt": CREATED_AT}
USER = {"id": USER_ID, "username": "jdoe", "customerId": CUSTOMER_ID, "email": "john@doe.com",
        "phoneNumber": "+48 999 444 111", "moPush": URL_PUSH, "swappingSourceAddressAllowed": True,
        "active": True, "createdAt": CREATED_AT}
CUSTOMER_LOOKUP = {**CREDENTIALS, "customerId": CUSTOMER_ID}
USER_LOOKUP = {**CREDENTIALS, "userId": USER_ID}
TRANSACTION = {"id": "6b08957edae25ef419029970", "customerId": CUSTOMER_ID, "amount": 500, "reason": "TOPUP",
               "reference": "INV-2026-0042", "balanceAfter": 510, "createdAt": CREATED_AT, "origin": "reseller"}
KEY_ID = "6b08957edae25ef419029971"
KEY = f"pk_{KEY_ID}_" + "k" * 43
API_KEY = {"id": KEY_ID, "label": "billing back-end", "allowedIps": ["203.0.113.0/24"], "expiresAt": None,
           "lastUsedAt": None, "createdAt": CREATED_AT, "revoked": False}
EVENT = {"id": 42, "type": "credits.changed", "customerId": CUSTOMER_ID, "transactionId": TRANSACTION["id"],
         "amount": 500, "reason": "TOPUP", "balanceAfter": 510, "changed": ["credits"], "origin": "reseller",
         "requestId": REQUEST_ID, "occurredAt": CREATED_AT}
WEBHOOK_ID = "6b08957edae25ef419029972"
WEBHOOK_URL = "https://hooks.example.com/provisioning"
WEBHOOK_SECRET = "whsec_" + "s" * 43
WEBHOOK = {"id": WEBHOOK_ID, "url": WEBHOOK_URL, "events": ["*"], "state": "active", "createdAt": CREATED_AT}

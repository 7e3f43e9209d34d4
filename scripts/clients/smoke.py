"""Login → create → list against a running service, through the Python client generated from openapi.yaml by
openapi-python-client (package retiree_api_client). Run by scripts/check-contract.sh; BASE_URL names the server."""

import datetime
import os
import sys

from retiree_api_client import AuthenticatedClient, Client
from retiree_api_client.api.auth import create_token
from retiree_api_client.api.retirees import create_retiree, list_retirees
from retiree_api_client.models import (
    Category,
    CreateRetireeRequest,
    ManagementLevel,
    PageRetireeResponse,
    RetireeResponse,
    TokenRequestType0,
    TokenRequestType0GrantType,
    TokenResponse,
)

base = os.environ.get("BASE_URL", "http://127.0.0.1:8080")

login = create_token.sync_detailed(
    client=Client(base_url=base),
    body=TokenRequestType0(
        grant_type=TokenRequestType0GrantType.PASSWORD, username="hongshan", password="demo-password-2026"
    ),
)
if not isinstance(login.parsed, TokenResponse):
    sys.exit(f"login: {login.status_code} {login.content!r}")
client = AuthenticatedClient(base_url=base, token=login.parsed.access_token)

created = create_retiree.sync_detailed(
    client=client,
    body=CreateRetireeRequest(
        name="王五",
        id_number="350203195703030031",
        retirement_date=datetime.date(2017, 3, 1),
        category=Category.ENTERPRISE_EMPLOYEE,
        management_level=ManagementLevel.CITY_MANAGED,
        community_code="350203001001",
        monthly_pension="3700.00",
    ),
)
if created.status_code != 201 or not isinstance(created.parsed, RetireeResponse):
    sys.exit(f"create: {created.status_code} {created.content!r}")

page = list_retirees.sync_detailed(client=client, limit="500")
if not isinstance(page.parsed, PageRetireeResponse):
    sys.exit(f"list: {page.status_code} {page.content!r}")
if not any(item.id == created.parsed.id for item in page.parsed.items):
    sys.exit(f"list: retiree {created.parsed.id} not on the first page")
print(f"python client: login, create (id {created.parsed.id}), list ({len(page.parsed.items)} rows): ok")
